package io.reloc.nbd.server;

import io.reloc.nbd.protocol.RelocChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Sends the replies of one pacing group (the connections of a client that sent RELOC_PACE with
 * the same group, see {@link RelocChannel}) at no more than the rate the client last told, in
 * slices of about {@value #SLICE_NANOS} ns at that rate (longer above {@value #FAST_RATE} bytes/s).
 * A relocating client asks this of its background copy: its pacer sends requests at about the
 * link's rate, but a server that stalls (a page fault, a busy CPU) then answers a backlog at once,
 * and each answer enters the link as one burst. On a WAN that burst waits in the link's FIFO
 * queue, where the client's demand reads wait behind it. Held back here instead, the backlog
 * waits where demand replies, which come on connections that are not paced, pass it; and they
 * take their bytes of the rate ({@link #debit}), so the copy uses what the demand reads leave.
 *
 * <p>Time is lent, never saved: a group idle for a while sends its next slice at once, not a
 * burst of the slices it could have sent; a sender woken late catches up on the time it lost.
 * (The copier's {@code RateLimiter} saves a tenth of a second, which here would be the burst.)
 * Thread safe.
 */
final class ReplyPacer {
    /** Rates below 1 Mbit/s are raised to it: a paced reply holds the server's in-flight budget. */
    static final long MIN_RATE = 125_000;
    /**
     * Time a slice takes at rates up to {@link #FAST_RATE}: short enough that a demand reply barely
     * waits behind one.
     */
    static final long SLICE_NANOS = 250_000;
    /**
     * Above this rate (250 Mbit/s) slices take longer in proportion, up to {@link #MAX_SLICE_NANOS}
     * from 1 Gbit/s: each slice is a wake-up, and at those rates the copy itself leaves the CPU
     * little to spare (at 1 Gbit/s, 4,000 wake-ups a second cost 3% of the link, 1,000 nothing).
     * A millisecond of queue is little on the round trips such links have.
     */
    static final long FAST_RATE = 31_250_000;
    static final long MAX_SLICE_NANOS = 1_000_000;
    static final int MIN_SLICE = 4096;
    static final int MAX_SLICE = 1 << 20;

    /** Writes one slice whole; returns the nanoseconds the write took. */
    @FunctionalInterface
    interface SliceWriter {
        long write(ByteBuffer slice) throws IOException;
    }

    /** Waits until a time of the clock. */
    @FunctionalInterface
    interface Sleeper {
        void sleepUntil(long deadline);
    }

    private final LongSupplier clock;
    private final Sleeper sleeper;
    private long bytesPerSecond;
    /** When the rate allows the next byte to go. */
    private long freeAt;

    ReplyPacer(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime, ReplyPacer::park);
    }

    ReplyPacer(long bytesPerSecond, LongSupplier clock, Sleeper sleeper) {
        this.clock = clock;
        this.sleeper = sleeper;
        this.freeAt = clock.getAsLong();
        rate(bytesPerSecond);
    }

    /** From now on, at {@code bytesPerSecond} (raised to {@link #MIN_RATE}). */
    synchronized void rate(long bytesPerSecond) {
        this.bytesPerSecond = Math.clamp(bytesPerSecond, MIN_RATE, RelocChannel.MAX_RATE);
    }

    synchronized long rate() {
        return bytesPerSecond;
    }

    /** Bytes of one slice at the current rate. */
    synchronized int sliceBytes() {
        long nanos = Math.clamp(SLICE_NANOS * bytesPerSecond / FAST_RATE, SLICE_NANOS, MAX_SLICE_NANOS);
        return (int) Math.clamp(bytesPerSecond * nanos / 1_000_000_000, MIN_SLICE, MAX_SLICE);
    }

    /** Takes the rate's time for {@code bytes}; returns when they may go. */
    synchronized long reserve(long bytes) {
        long start = Math.max(clock.getAsLong(), freeAt);
        freeAt = start + (long) (bytes * 1e9 / bytesPerSecond);
        return start;
    }

    /** Counts {@code bytes} sent at once, outside the group, against the rate. */
    void debit(long bytes) {
        reserve(bytes);
    }

    /**
     * Writes the buffers' remaining bytes in slices, each when the rate allows it; returns the
     * nanoseconds spent writing (not waiting). Limits are restored even when a write fails.
     */
    long write(ByteBuffer[] buffers, int count, SliceWriter writer) throws IOException {
        long writing = 0;
        for (int i = 0; i < count; i++) {
            ByteBuffer b = buffers[i];
            int end = b.limit();
            try {
                while (b.position() < end) {
                    int step = Math.min(sliceBytes(), end - b.position());
                    long at = reserve(step);
                    if (at > clock.getAsLong()) {
                        sleeper.sleepUntil(at);
                    }
                    b.limit(b.position() + step);
                    writing += writer.write(b);
                    b.limit(end);
                }
            } finally {
                b.limit(end);
            }
        }
        return writing;
    }

    private static void park(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                return; // the connection is closing: the write that follows fails at once
            }
        }
    }
}
