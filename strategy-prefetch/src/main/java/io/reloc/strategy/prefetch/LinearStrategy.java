package io.reloc.strategy.prefetch;

import io.reloc.api.CopyOrder;
import io.reloc.api.CopyStrategy;

/**
 * The baseline order: the disk from its first block to its last, as a plain copy would go.
 * Other strategies are measured against it.
 */
public final class LinearStrategy implements CopyStrategy {
    public static final String NAME = "linear";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CopyOrder create(long blockCount) {
        if (blockCount < 0) {
            throw new IllegalArgumentException("block count must not be negative: " + blockCount);
        }
        return cursor -> Math.min(Math.max(cursor, 0), blockCount);
    }
}
