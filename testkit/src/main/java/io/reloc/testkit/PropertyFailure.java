package io.reloc.testkit;

import java.util.List;

/**
 * A property that failed: the seed that generated the sequence, the shrunk sequence and the
 * failure it still causes. Its message is the report a developer needs to reproduce it.
 */
public final class PropertyFailure extends AssertionError {
    private static final long serialVersionUID = 1L;

    private final long seed;
    private final transient List<?> shrunk;

    PropertyFailure(String name, long seed, int originalLength, List<?> shrunk, Throwable failure) {
        super(report(name, seed, originalLength, shrunk, failure), failure);
        this.seed = seed;
        this.shrunk = List.copyOf(shrunk);
    }

    public long seed() {
        return seed;
    }

    public List<?> shrunk() {
        return shrunk;
    }

    private static String report(String name, long seed, int originalLength, List<?> shrunk, Throwable failure) {
        StringBuilder text = new StringBuilder();
        text.append("property '").append(name).append("' failed with seed ").append(seed)
                .append(" (replay with -Dreloc.seed=").append(seed).append(")\n")
                .append("shrunk from ").append(originalLength).append(" to ").append(shrunk.size()).append(" actions:\n");
        for (int i = 0; i < shrunk.size(); i++) {
            text.append(String.format("  %3d. %s%n", i + 1, shrunk.get(i)));
        }
        text.append("failure: ").append(failure);
        return text.toString();
    }
}
