package io.reloc.testkit;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Draws the next action of a sequence. It sees the actions drawn so far, so it can keep a sequence
 * meaningful (e.g. reopen only after a write). Must draw from {@code random} only, so a seed
 * replays the same sequence.
 */
@FunctionalInterface
public interface ActionGenerator<A> {
    A next(RandomGenerator random, List<A> sofar);
}
