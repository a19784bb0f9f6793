package io.reloc.bench;

import io.reloc.bench.wan.ChunkLog;
import io.reloc.bench.workload.Latencies;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Splits each demand read of the WAN bench into the parts its hops took, from the emulator's
 * {@link ChunkLog}: the proxy sending the request, the link's queue on the way out, the relay
 * handing the request over late, the source answering, the link's queue on the way back (with
 * the reply's own serialisation), the relay late again, and the proxy taking the reply to the
 * reader. The one-way delays are left out: they are the link's. A read's request and reply are
 * found by time, not by cookie: the reply is the last chunk of at least a block's size handed
 * to the proxy while the read lasted on a connection that was handed nothing else meanwhile
 * (the background lane's connections, paced by the source, carry chunks of that size too), the
 * request the first chunk on the same connection after the read began. Thread safe.
 */
final class DemandBreakdown {
    private static final String[] PARTS = {
        "whole read", "proxy sends the request", "link queue, out", "relay late, out", "source answers",
        "link queue and serialisation, back", "relay late, back", "proxy takes the reply to the reader"};

    private final ChunkLog log;
    private final long oneWayNanos;
    private final int replyBytes;
    private final List<long[]> reads = new ArrayList<>();

    DemandBreakdown(ChunkLog log, long oneWayNanos, int replyBytes) {
        this.log = log;
        this.oneWayNanos = oneWayNanos;
        this.replyBytes = replyBytes;
    }

    /** Records a demand read that began and ended at these {@link System#nanoTime()} times. */
    synchronized void read(long startNanos, long endNanos) {
        reads.add(new long[] {startNanos, endNanos});
    }

    /**
     * A markdown table: p50, p90 and p99 of each part; its mean over the slowest 1% of reads; and
     * its mean over the reads whose whole time lies between the p98 and the p99.5, which are
     * what sets the p99 (the slowest 1% are often a few stalls far beyond it).
     * {@code when} (e.g. "on the idle link", or empty) names the reads in its header.
     */
    synchronized List<String> table(String when) {
        List<long[]> parts = splits();
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "| part of a demand read%s (%d of %d reads matched) | p50 | p90 | p99 "
                + "| mean of the slowest 1%% | mean of the reads at p98–p99.5 |",
                when.isEmpty() ? "" : " " + when, parts.size(), reads.size()));
        lines.add("|---|---|---|---|---|---|");
        if (parts.isEmpty()) {
            return lines;
        }
        parts.sort(Comparator.comparingLong(p -> p[0]));
        for (int i = 0; i < PARTS.length; i++) {
            int part = i;
            Latencies values = new Latencies();
            parts.forEach(p -> values.add(p[part]));
            lines.add(String.format(Locale.ROOT, "| %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms |", PARTS[i],
                    values.percentileMillis(50), values.percentileMillis(90), values.percentileMillis(99),
                    meanOfBand(parts, 0.99, 1, part) / 1e6, meanOfBand(parts, 0.98, 0.995, part) / 1e6));
        }
        return lines;
    }

    /**
     * The mean of {@code part} over the reads from quantile {@code from} to {@code to} of the
     * whole read's time ({@code sorted} by it), at least the one read at {@code from}.
     */
    static double meanOfBand(List<long[]> sorted, double from, double to, int part) {
        int first = Math.min(sorted.size() - 1, (int) (sorted.size() * from));
        int end = Math.max(first + 1, Math.min(sorted.size(), (int) Math.ceil(sorted.size() * to)));
        return sorted.subList(first, end).stream().mapToLong(p -> p[part]).average().orElse(0);
    }

    /** The parts of each read whose chunks were found, in nanoseconds, in the order of {@link #PARTS}. */
    synchronized List<long[]> splits() {
        List<ChunkLog.Entry> entries = log.entries();
        List<long[]> parts = new ArrayList<>();
        for (long[] read : reads) {
            long[] split = split(read[0], read[1], entries);
            if (split != null) {
                parts.add(split);
            }
        }
        return parts;
    }

    /** The parts of one read, in the order of {@link #PARTS}, or null when its chunks are not in the log. */
    private long[] split(long start, long end, List<ChunkLog.Entry> entries) {
        // The reply is alone on its connection while the read lasts; a background connection paced
        // in slices of the reply's size hands the proxy one every few hundred microseconds.
        Map<Integer, Integer> handedOver = new HashMap<>();
        for (ChunkLog.Entry e : entries) {
            if (!e.upstream() && e.writtenAt() >= start && e.writtenAt() <= end) {
                handedOver.merge(e.connection(), 1, Integer::sum);
            }
        }
        ChunkLog.Entry reply = null;
        for (ChunkLog.Entry e : entries) {
            if (!e.upstream() && e.length() >= replyBytes && e.writtenAt() >= start && e.writtenAt() <= end
                    && handedOver.get(e.connection()) == 1 && (reply == null || e.writtenAt() > reply.writtenAt())) {
                reply = e;
            }
        }
        if (reply == null) {
            return null;
        }
        ChunkLog.Entry request = null;
        for (ChunkLog.Entry e : entries) {
            if (e.upstream() && e.connection() == reply.connection() && e.enteredAt() >= start
                    && e.writtenAt() <= reply.enteredAt() && (request == null || e.enteredAt() < request.enteredAt())) {
                request = e;
            }
        }
        if (request == null) {
            return null;
        }
        return new long[] {
            end - start,
            request.enteredAt() - start,
            request.deliverAt() - request.enteredAt() - oneWayNanos,
            request.writtenAt() - request.deliverAt(),
            reply.enteredAt() - request.writtenAt(),
            reply.deliverAt() - reply.enteredAt() - oneWayNanos,
            reply.writtenAt() - reply.deliverAt(),
            end - reply.writtenAt()};
    }
}
