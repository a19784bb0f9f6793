package io.reloc.nbd.channel;

import java.util.function.LongSupplier;

/**
 * CPU time the codec trials of a server may take: a bucket of nanoseconds refilled at a share of
 * one core, holding at most a burst. A trial starts only while the bucket is not empty; its
 * expected time is taken out as it is queued, so that several connections cannot queue many
 * trials at once against one full bucket, and the difference to its actual time once it ran (the
 * bucket may go below zero: a long trial is paid back before the next one).
 *
 * <p>Why: a probe of xz or bzip2 encodes its sample at about a megabyte a second, a tenth of a
 * second of CPU each, and every connection probes in turn. On a fast link, where no such codec can
 * win, those probes took a quarter of a 1 GiB relocation's server CPU on two cores, and the copy
 * waited for the CPU. Bounded, the estimates still follow the data, more slowly. Thread safe.
 */
final class TrialBudget {
    /** Share of one core trials may use over time. */
    static final double SHARE = 0.02;
    /** CPU time a server that has not tried anything for a while may spend at once. */
    static final long BURST_NANOS = 20_000_000L;

    private final LongSupplier clock;
    private final double share;
    private final long burst;
    private long available;
    private long refilledAt;

    TrialBudget(LongSupplier clock, double share, long burstNanos) {
        if (!(share > 0 && share <= 1) || burstNanos <= 0) {
            throw new IllegalArgumentException("trial budget out of range: share " + share + ", burst " + burstNanos);
        }
        this.clock = clock;
        this.share = share;
        this.burst = burstNanos;
        this.available = burstNanos;
        this.refilledAt = clock.getAsLong();
    }

    /** Whether a trial expected to take {@code expectedNanos} may be queued now; if so, takes that out. */
    synchronized boolean tryStart(long expectedNanos) {
        refill();
        if (available <= 0) {
            return false;
        }
        available -= expectedNanos;
        return true;
    }

    /** A trial started with {@code expectedNanos} took {@code actualNanos}. */
    synchronized void finished(long expectedNanos, long actualNanos) {
        refill();
        available -= actualNanos - expectedNanos;
    }

    private void refill() {
        long now = clock.getAsLong();
        available = Math.min(burst, available + (long) ((now - refilledAt) * share));
        refilledAt = now;
    }
}
