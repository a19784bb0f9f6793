package io.reloc.core.relocation;

import java.util.function.LongSupplier;

/**
 * How many background fetches may be in flight: enough to fill the link's bandwidth-delay
 * product, found by measuring rather than configured. It starts small and doubles while each
 * doubling still raises throughput by a tenth; when throughput falls well below the best seen
 * (the link slowed, or clients took it) it starts climbing again from half. Thread safe.
 */
final class AdaptiveWindow {
    static final int MAX = 64;
    private static final long PERIOD_NANOS = 250_000_000L;

    private final LongSupplier nanoTime;
    private int limit = 2;
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
        if (throughput > best * 1.1) {
            best = throughput;
            limit = Math.min(MAX, limit * 2);
        } else if (throughput < best * 0.5) {
            best = throughput;
            limit = Math.max(1, limit / 2);
        }
    }

    synchronized int limit() {
        return limit;
    }
}
