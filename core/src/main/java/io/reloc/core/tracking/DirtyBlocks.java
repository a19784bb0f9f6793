package io.reloc.core.tracking;

import java.util.BitSet;

import static java.util.Objects.requireNonNull;

/**
 * The answer to "which blocks were written at the source": one bit per block of the tracking
 * granularity, and the round it closes. Rounds count the answers of one session from 1; the
 * asker acknowledges a round (passes it to the next question) only once it has durably forgotten
 * the blocks that round named.
 *
 * @param round the round this answer closes
 * @param blocks the blocks written since the last acknowledged round (the asker may own the set)
 */
public record DirtyBlocks(int round, BitSet blocks) {
    public DirtyBlocks {
        requireNonNull(blocks, "blocks is null");
        if (round < 1) {
            throw new IllegalArgumentException("rounds start at 1: " + round);
        }
    }

    /** Blocks named. */
    public int count() {
        return blocks.cardinality();
    }
}
