package io.reloc.testkit;

import java.util.List;

/**
 * Runs a whole sequence against a fresh system under test and its model; throws (typically an
 * {@link AssertionError}) when they disagree. It must not keep state between calls: the runner
 * calls it many times while shrinking.
 */
@FunctionalInterface
public interface Property<A> {
    void run(List<A> actions) throws Exception;
}
