package io.reloc.strategy.prefetch;

/**
 * How a read-ahead window grows and shrinks, in blocks. The growth follows Linux's on-demand
 * read-ahead ({@code mm/readahead.c}): the first window is the request rounded up to a power of
 * two, times four when small and times two when medium ({@code get_init_ra_size}); each next
 * window is four times the last while small, then twice ({@code get_next_ra_size}), never beyond
 * the maximum. Unlike Linux, which simply stops reading ahead for a random reader, a window here
 * halves on a miss and the stream is dropped below the minimum — nbdkit's readahead filter, for
 * comparison, resets its window on any non-sequential read. Halving keeps most of a long stream's
 * window through a stray read, which matters when every window costs a WAN round trip.
 *
 * @param minBlocks smallest window, {@code >= 1}
 * @param maxBlocks largest window, {@code >= minBlocks}
 */
public record WindowPolicy(int minBlocks, int maxBlocks) {
    public WindowPolicy {
        if (minBlocks < 1 || maxBlocks < minBlocks) {
            throw new IllegalArgumentException("window bounds 1 <= min <= max expected: " + minBlocks + ", " + maxBlocks);
        }
    }

    /** 128 KiB to 8 MiB: Linux's default minimum, and a maximum that fills a WAN link's pipe. */
    public static WindowPolicy forBlockSize(int blockSize) {
        int min = Math.max(1, (128 << 10) / blockSize);
        return new WindowPolicy(min, Math.max(min, (8 << 20) / blockSize));
    }

    /** The first window of a stream whose reads are {@code requestBlocks} long. */
    public int initial(long requestBlocks) {
        long size = Long.highestOneBit(Math.max(1, requestBlocks));
        if (size < requestBlocks) {
            size <<= 1;
        }
        if (size <= maxBlocks / 32) {
            size *= 4;
        } else if (size <= maxBlocks / 4) {
            size *= 2;
        } else {
            size = maxBlocks;
        }
        return clamp(size);
    }

    /** The window after {@code current} was used up by a sequential reader. */
    public int next(int current) {
        long size = current < maxBlocks / 16 ? 4L * current : 2L * current;
        return clamp(size);
    }

    /** The window after a miss; 0 when the stream should be dropped. */
    public int shrink(int current) {
        int half = current / 2;
        return half < minBlocks ? 0 : half;
    }

    private int clamp(long size) {
        return (int) Math.max(minBlocks, Math.min(maxBlocks, size));
    }
}
