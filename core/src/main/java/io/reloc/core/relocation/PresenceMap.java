package io.reloc.core.relocation;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One bit per block: set once the block's bytes are in the local store. Once a relocation is
 * active, bits are only ever set, never cleared, which lets readers test a bit without a lock
 * (before that, hybrid pre-copy may {@link #markAbsent clear} the bit of a block the source
 * rewrote). Thread safe.
 *
 * <p>This is the in-memory map. What is durable is a {@link #snapshot() snapshot} written by
 * {@link MapFile} only after the local store was flushed, so a bit reaches disk only after its
 * data did (invariant I4).
 */
public final class PresenceMap {
    private final long blockCount;
    private final AtomicLongArray words;
    private final AtomicLong present = new AtomicLong();

    public PresenceMap(long blockCount) {
        this(blockCount, new long[wordsFor(blockCount)]);
    }

    /** Restores a map from a snapshot; bits past {@code blockCount} must be clear. */
    public PresenceMap(long blockCount, long[] snapshot) {
        if (blockCount < 0 || snapshot.length != wordsFor(blockCount)) {
            throw new IllegalArgumentException("snapshot of " + snapshot.length + " words does not fit " + blockCount + " blocks");
        }
        this.blockCount = blockCount;
        this.words = new AtomicLongArray(snapshot);
        long count = 0;
        for (long word : snapshot) {
            count += Long.bitCount(word);
        }
        present.set(count);
    }

    static int wordsFor(long blockCount) {
        long words = (blockCount + 63) / 64;
        if (words > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("too many blocks: " + blockCount);
        }
        return (int) words;
    }

    public long blockCount() {
        return blockCount;
    }

    public boolean isPresent(long block) {
        checkIndex(block);
        return (words.get((int) (block >>> 6)) & (1L << block)) != 0;
    }

    /** Sets the bit; returns whether it was clear before. */
    public boolean markPresent(long block) {
        checkIndex(block);
        int index = (int) (block >>> 6);
        long bit = 1L << block;
        long old = words.getAndUpdate(index, w -> w | bit);
        if ((old & bit) == 0) {
            present.incrementAndGet();
            return true;
        }
        return false;
    }

    /**
     * Clears the bit; returns whether it was set. Only for blocks that nobody reads through the
     * map: pre-copied blocks before activation (hybrid pre-copy), whose bits say "copied, not yet
     * trusted". Once a relocation is active, bits are only ever set.
     */
    public boolean markAbsent(long block) {
        checkIndex(block);
        int index = (int) (block >>> 6);
        long bit = 1L << block;
        long old = words.getAndUpdate(index, w -> w & ~bit);
        if ((old & bit) != 0) {
            present.decrementAndGet();
            return true;
        }
        return false;
    }

    public long presentCount() {
        return present.get();
    }

    public boolean isComplete() {
        return present.get() == blockCount;
    }

    /** The first absent block at or after {@code from}, or -1 if there is none. */
    public long nextAbsent(long from) {
        for (long block = Math.max(0, from); block < blockCount; ) {
            long word = ~words.get((int) (block >>> 6)) >>> (block & 63);
            if (word != 0) {
                long found = block + Long.numberOfTrailingZeros(word);
                return found < blockCount ? found : -1;
            }
            block = (block | 63) + 1;
        }
        return -1;
    }

    /** The first present block at or after {@code from}, or -1 if there is none. */
    public long nextPresent(long from) {
        for (long block = Math.max(0, from); block < blockCount; ) {
            long word = words.get((int) (block >>> 6)) >>> (block & 63);
            if (word != 0) {
                long found = block + Long.numberOfTrailingZeros(word);
                return found < blockCount ? found : -1;
            }
            block = (block | 63) + 1;
        }
        return -1;
    }

    /** A copy of the bits, consistent per word (bits set concurrently may or may not appear). */
    public long[] snapshot() {
        long[] copy = new long[words.length()];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = words.get(i);
        }
        return copy;
    }

    private void checkIndex(long block) {
        if (block < 0 || block >= blockCount) {
            throw new IndexOutOfBoundsException("block " + block + " of " + blockCount);
        }
    }
}
