/**
 * A small property-based test kit for stateful systems: generate random sequences of actions
 * from a seed, run them against the system under test and a model, and when a check fails, shrink
 * the sequence to a short one that still fails and report it with the seed that replays it.
 *
 * <p>It depends on the JDK only and on no test framework: a failing property throws
 * {@link java.lang.AssertionError}, which every framework reports.
 *
 * <pre>{@code
 * new PropertyRunner<>(Actions::generate, Actions::shrink)
 *         .sequences(200).length(1, 80)
 *         .check("engine matches model", actions -> { ... apply, compare, throw on mismatch ... });
 * }</pre>
 *
 * <p>Replaying: a failure prints {@code -Dreloc.seed=N}; running with that property runs exactly the
 * failing sequence again (and shrinks it again). {@code -Dreloc.sequences=K} changes how many
 * sequences are tried.
 */
package io.reloc.testkit;
