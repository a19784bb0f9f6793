package io.reloc.nbd.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for request payloads and replies, reused so that serving a request allocates no
 * payload memory. A buffer has {@link #HEADROOM} bytes in front of the payload, where a reply
 * header is written so that a reply goes out in one write.
 *
 * <p>Sizes come in powers of two (plus headroom). Free buffers of all sizes together hold at most
 * {@link #DEFAULT_KEEP_BYTES} (a released buffer beyond that is left to the garbage collector), so
 * the memory the pool holds is bounded, yet a client keeping many large requests in flight (nbdcopy
 * keeps 4 x 64 of 256 KiB) is served without allocating and zeroing fresh memory per request.
 * Ownership: whoever takes a buffer with
 * {@link #acquire} gives it back with {@link #release} exactly once, and then stops using it.
 * Thread safe.
 */
final class BufferPool {
    /** Room for the longest reply prefix: an OFFSET_DATA chunk header and offset (28 bytes). */
    static final int HEADROOM = 32;

    private static final int MIN_SHIFT = 9;
    private static final int MAX_SHIFT = 30;
    /** Free memory kept over all size classes: a quarter of the server's in-flight budget. */
    static final long DEFAULT_KEEP_BYTES = 64L << 20;

    private final ArrayDeque<ByteBuffer>[] free;
    private final long keepBytes;
    /** Capacity of the buffers in {@link #free}; reserved before a buffer is added. */
    private final AtomicLong kept = new AtomicLong();

    BufferPool() {
        this(DEFAULT_KEEP_BYTES);
    }

    @SuppressWarnings("unchecked")
    BufferPool(long keepBytes) {
        this.keepBytes = keepBytes;
        free = new ArrayDeque[MAX_SHIFT + 1];
        for (int s = MIN_SHIFT; s <= MAX_SHIFT; s++) {
            free[s] = new ArrayDeque<>();
        }
    }

    /**
     * A cleared buffer whose capacity is at least {@code HEADROOM + payload}, positioned at
     * {@code HEADROOM} with its limit at {@code HEADROOM + payload}.
     */
    ByteBuffer acquire(int payload) {
        int shift = shiftFor(payload);
        ByteBuffer b;
        synchronized (free[shift]) {
            b = free[shift].pollLast();
        }
        if (b == null) {
            b = ByteBuffer.allocateDirect(HEADROOM + (1 << shift));
        } else {
            kept.addAndGet(-b.capacity());
        }
        b.limit(HEADROOM + payload).position(HEADROOM);
        return b;
    }

    void release(ByteBuffer b) {
        int shift = Integer.numberOfTrailingZeros(b.capacity() - HEADROOM);
        if (kept.addAndGet(b.capacity()) > keepBytes) {
            kept.addAndGet(-b.capacity());
            return;
        }
        b.clear();
        ArrayDeque<ByteBuffer> q = free[shift];
        synchronized (q) {
            q.addLast(b);
        }
    }

    private static int shiftFor(int payload) {
        if (payload < 0) {
            throw new IllegalArgumentException("negative payload: " + payload);
        }
        int shift = payload <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(payload - 1);
        return Math.max(MIN_SHIFT, shift);
    }
}
