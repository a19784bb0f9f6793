package io.reloc.api;

/**
 * Blocks {@code first} to {@code first + count - 1} of a relocated disk.
 *
 * @param first the first block, {@code >= 0}
 * @param count how many blocks, {@code >= 1}
 */
public record BlockRange(long first, long count) {
    public BlockRange {
        if (first < 0 || count < 1) {
            throw new IllegalArgumentException("a block range starts at 0 or later and has at least one block: "
                    + first + "+" + count);
        }
    }

    /** The block after the last one. */
    public long end() {
        return first + count;
    }
}
