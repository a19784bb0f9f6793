package io.reloc.core.relocation;

import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct, page-aligned buffers for fetched data, reused. A fetch lands in a direct buffer so that the socket
 * reads into it and the cache writes from it in place: a heap buffer costs a copy on each side
 * (through the JDK's temporary direct buffer on the way in, through the store's bounce buffer on
 * the way out), which on a fast link is most of the proxy's CPU per byte.
 *
 * <p>Capacities are powers of two from {@value #MIN_SHIFT} bits up. Free buffers together hold at
 * most {@code keepBytes}; a buffer released beyond that is left to the garbage collector, so the
 * memory kept is bounded (I6) while the buffers in use are bounded by the fetches in flight.
 * Whoever takes a buffer gives it back exactly once and then stops using it. Thread safe.
 */
final class FetchBuffers {
    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = 30;
    private static final int ALIGNMENT = 4096;
    /** Enough for the background copier's runs in flight on a fast link. */
    static final long DEFAULT_KEEP_BYTES = 32L << 20;

    private final ArrayDeque<ByteBuffer>[] free;
    private final long keepBytes;
    private final AtomicLong kept = new AtomicLong();

    FetchBuffers() {
        this(DEFAULT_KEEP_BYTES);
    }

    @SuppressWarnings("unchecked")
    FetchBuffers(long keepBytes) {
        this.keepBytes = keepBytes;
        free = new ArrayDeque[MAX_SHIFT + 1];
        for (int s = MIN_SHIFT; s <= MAX_SHIFT; s++) {
            free[s] = new ArrayDeque<>();
        }
    }

    /** A direct buffer with position 0 and limit {@code length}; its contents are undefined. */
    ByteBuffer acquire(int length) {
        int shift = shiftFor(length);
        ByteBuffer b;
        synchronized (free[shift]) {
            b = free[shift].pollLast();
        }
        if (b == null) {
            // Page-aligned, so that the cache may write it past the page cache (O_DIRECT); the
            // memory goes when the buffer is collected.
            b = Arena.ofAuto().allocate(1L << shift, ALIGNMENT).asByteBuffer();
        } else {
            kept.addAndGet(-b.capacity());
        }
        return b.clear().limit(length);
    }

    void release(ByteBuffer b) {
        int shift = Integer.numberOfTrailingZeros(b.capacity());
        if (!b.isDirect() || Integer.bitCount(b.capacity()) != 1 || shift < MIN_SHIFT) {
            throw new IllegalArgumentException("not a buffer of this pool: " + b);
        }
        if (kept.addAndGet(b.capacity()) > keepBytes) {
            kept.addAndGet(-b.capacity());
            return;
        }
        ArrayDeque<ByteBuffer> q = free[shift];
        synchronized (q) {
            q.addLast(b);
        }
    }

    /** Bytes held by free buffers. */
    long kept() {
        return kept.get();
    }

    private static int shiftFor(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length: " + length);
        }
        int shift = length <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(length - 1);
        if (shift > MAX_SHIFT) {
            throw new IllegalArgumentException("too large: " + length);
        }
        return Math.max(MIN_SHIFT, shift);
    }
}
