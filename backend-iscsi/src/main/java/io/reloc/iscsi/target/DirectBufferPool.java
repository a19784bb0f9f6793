package io.reloc.iscsi.target;

import io.reloc.iscsi.scsi.DataBuffers;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers in power-of-two sizes from 4 KiB to 32 MiB, kept for reuse up to a total, so
 * data goes between the device and the socket without copies or per-command allocation. 4 KiB
 * requests are the common random I/O size: with a heap buffer each one cost a temporary native
 * buffer in the socket write or the file write. Requests under 2 KiB get heap buffers (their
 * copies are cheap). Thread safe.
 */
final class DirectBufferPool implements DataBuffers {
    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = 25;

    private final long maxCachedBytes;
    private final AtomicLong cachedBytes = new AtomicLong();
    private final ConcurrentLinkedQueue<ByteBuffer>[] free;

    @SuppressWarnings("unchecked")
    DirectBufferPool(long maxCachedBytes) {
        this.maxCachedBytes = maxCachedBytes;
        this.free = new ConcurrentLinkedQueue[MAX_SHIFT - MIN_SHIFT + 1];
        for (int i = 0; i < free.length; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
        }
    }

    @Override
    public ByteBuffer allocate(int length) {
        if (length < (1 << MIN_SHIFT) / 2 || length > 1 << MAX_SHIFT) {
            return ByteBuffer.allocate(length);
        }
        int shift = Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(length - 1));
        ByteBuffer b = free[shift - MIN_SHIFT].poll();
        if (b == null) {
            b = ByteBuffer.allocateDirect(1 << shift);
        } else {
            cachedBytes.addAndGet(-b.capacity());
        }
        return b.clear().limit(length);
    }

    @Override
    public void release(ByteBuffer buffer) {
        int capacity = buffer.capacity();
        if (!buffer.isDirect() || Integer.bitCount(capacity) != 1 || capacity < 1 << MIN_SHIFT
                || capacity > 1 << MAX_SHIFT) {
            return;
        }
        if (cachedBytes.addAndGet(capacity) > maxCachedBytes) {
            cachedBytes.addAndGet(-capacity);
            return; // dropped: the garbage collector frees it
        }
        free[Integer.numberOfTrailingZeros(capacity) - MIN_SHIFT].offer(buffer);
    }
}
