package io.reloc.nbd.server;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers for request payloads and replies, reused so that serving a request allocates no
 * payload memory. A buffer has {@link #HEADROOM} bytes in front of the payload, where a reply
 * header is written so that a reply goes out in one write.
 *
 * <p>Sizes come in powers of two (plus headroom); each size class keeps a bounded number of free
 * buffers, so the memory the pool holds is bounded. Ownership: whoever takes a buffer with
 * {@link #acquire} gives it back with {@link #release} exactly once, and then stops using it.
 * Thread safe.
 */
final class BufferPool {
    /** Room for the longest reply prefix: an OFFSET_DATA chunk header and offset (28 bytes). */
    static final int HEADROOM = 32;

    private static final int MIN_SHIFT = 9;
    private static final int MAX_SHIFT = 30;
    /** Free memory kept per size class. */
    private static final long KEEP_BYTES_PER_CLASS = 4L << 20;

    private final ArrayDeque<ByteBuffer>[] free;
    private final int[] keep;

    @SuppressWarnings("unchecked")
    BufferPool() {
        free = new ArrayDeque[MAX_SHIFT + 1];
        keep = new int[MAX_SHIFT + 1];
        for (int s = MIN_SHIFT; s <= MAX_SHIFT; s++) {
            free[s] = new ArrayDeque<>();
            keep[s] = (int) Math.max(1, Math.min(512, KEEP_BYTES_PER_CLASS >> s));
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
        }
        b.limit(HEADROOM + payload).position(HEADROOM);
        return b;
    }

    void release(ByteBuffer b) {
        int shift = Integer.numberOfTrailingZeros(b.capacity() - HEADROOM);
        ArrayDeque<ByteBuffer> q = free[shift];
        synchronized (q) {
            if (q.size() < keep[shift]) {
                b.clear();
                q.addLast(b);
            }
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
