package io.reloc.core.relocation;

import java.util.function.LongSupplier;

/**
 * How many background fetches may be in flight: enough to fill the link's bandwidth-delay
 * product and no more, found by measuring rather than configured. More than the product fills
 * the bottleneck's queue, where a client's demand fetch would wait behind background data. It
 * starts at one and doubles while each doubling raises throughput by a tenth; a doubling that
 * does not is undone and climbing stops. When throughput falls well below the best seen (the
 * link slowed, or clients took it) it climbs again from half. Thread safe.
 */
final class AdaptiveWindow {
    static final int MAX = 64;
    private static final long PERIOD_NANOS = 400_000_000L;

    private final LongSupplier nanoTime;
    private int limit = 1;
    private boolean climbing = true;
    /** The period after a change mixes the old window and the new: it is not measured. */
    private boolean settling;
    private int inUse;
    private long bytesThisPeriod;
    private long periodStart;
    private double best;

    AdaptiveWindow(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.periodStart = nanoTime.getAsLong();
    }

    synchronized void acquire() throws InterruptedException {
        while (inUse >= limit) {
            wait();
        }
        inUse++;
    }

    /** A fetch ended, having moved {@code bytes}. */
    synchronized void release(long bytes) {
        inUse--;
        bytesThisPeriod += bytes;
        long now = nanoTime.getAsLong();
        if (now - periodStart >= PERIOD_NANOS) {
            adjust(bytesThisPeriod * 1e9 / (now - periodStart));
            bytesThisPeriod = 0;
            periodStart = now;
        }
        notifyAll();
    }

    private void adjust(double throughput) {
        if (settling) {
            settling = false;
            return;
        }
        int before = limit;
        decide(throughput);
        settling = limit != before;
    }

    private void decide(double throughput) {
        if (throughput < best * 0.5) {
            // The link slowed or clients took it: start over from half, measuring afresh.
            limit = Math.max(1, limit / 2);
            climbing = true;
            best = 0;
        } else if (throughput > best * 1.1) {
            best = throughput;
            if (climbing) {
                limit = Math.min(MAX, limit * 2);
            }
        } else if (climbing && limit > 1) {
            limit = limit / 2; // the last doubling bought nothing: it only queued
            climbing = false;
        }
    }

    synchronized int limit() {
        return limit;
    }
}
