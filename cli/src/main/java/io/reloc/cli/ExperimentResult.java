package io.reloc.cli;

import io.reloc.bench.workload.Latencies;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What one run of an experiment measured, every time counted from the switch-over.
 *
 * @param strategy the copy strategy's name
 * @param reads reads after switch-over, their latencies and stalls
 * @param requests requests after switch-over (reads, writes and flushes)
 * @param completeSeconds from switch-over to the relocation's completion; NaN if it did not complete in time
 * @param wireBytes bytes both ways on the WAN link (link C) during the whole run
 * @param demandBlocks blocks fetched on demand (by reads and by partial writes)
 * @param backgroundBlocks blocks fetched by the background copier
 * @param verified whether the destination matched the source image plus the writes
 * @param samples the counters every 250 ms, times in milliseconds since switch-over
 */
record ExperimentResult(String strategy, Latencies reads, long requests, double completeSeconds, long wireBytes,
                        long demandBlocks, long backgroundBlocks, boolean verified, List<DemoSample> samples) {
    ExperimentResult {
        requireNonNull(strategy, "strategy is null");
        requireNonNull(reads, "reads is null");
        samples = List.copyOf(samples);
    }

    boolean completed() {
        return !Double.isNaN(completeSeconds);
    }
}
