package io.reloc.bench.workload;

import java.util.Arrays;

/**
 * Read latencies of one phase of a workload, for percentiles and a distribution, and the stalls
 * among them: reads that had to wait for a fetch from a relocation's source. Thread safe.
 */
public final class Latencies {
    private long[] nanos = new long[1024];
    private int count;
    private long stalls;
    private long stallNanos;

    /** Records a read that did not stall. */
    public void add(long latencyNanos) {
        add(latencyNanos, false);
    }

    /** Records a read; {@code stalled} when it waited for a fetch from the source. */
    public synchronized void add(long latencyNanos, boolean stalled) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, count * 2);
        }
        nanos[count++] = latencyNanos;
        if (stalled) {
            stalls++;
            stallNanos += latencyNanos;
        }
    }

    public synchronized int count() {
        return count;
    }

    /** Reads that waited for the source. */
    public synchronized long stalls() {
        return stalls;
    }

    /** The time spent in those reads, in seconds. */
    public synchronized double stallSeconds() {
        return stallNanos / 1e9;
    }

    /** The fraction of reads served without a fetch from the source (1 without reads). */
    public synchronized double localFraction() {
        return count == 0 ? 1 : 1 - (double) stalls / count;
    }

    /** The {@code p}-th percentile (0 to 100, nearest rank) in milliseconds, or NaN without samples. */
    public synchronized double percentileMillis(double p) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = sorted();
        int rank = (int) Math.ceil(p / 100 * count);
        return sorted[Math.clamp(rank - 1, 0, count - 1)] / 1e6;
    }

    /**
     * The distribution as at most {@code points} steps: {@code [0]} latencies in milliseconds,
     * ascending, {@code [1]} the fraction of reads (0 to 1) at or below each.
     */
    public synchronized double[][] cdf(int points) {
        if (count == 0) {
            return new double[][] {new double[0], new double[0]};
        }
        long[] sorted = sorted();
        int n = Math.min(points, count);
        double[] millis = new double[n];
        double[] fraction = new double[n];
        for (int i = 0; i < n; i++) {
            int rank = (int) Math.ceil((i + 1.0) * count / n);
            millis[i] = sorted[rank - 1] / 1e6;
            fraction[i] = (double) rank / count;
        }
        return new double[][] {millis, fraction};
    }

    private long[] sorted() {
        long[] sorted = Arrays.copyOf(nanos, count);
        Arrays.sort(sorted);
        return sorted;
    }
}
