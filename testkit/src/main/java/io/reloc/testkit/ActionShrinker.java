package io.reloc.testkit;

import java.util.List;

/**
 * Proposes simpler variants of one action (a shorter write, a smaller offset), simplest first.
 * The runner keeps a variant when the sequence still fails with it.
 */
@FunctionalInterface
public interface ActionShrinker<A> {
    List<A> simpler(A action);

    static <A> ActionShrinker<A> none() {
        return action -> List.of();
    }
}
