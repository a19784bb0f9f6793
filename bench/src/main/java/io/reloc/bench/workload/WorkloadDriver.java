package io.reloc.bench.workload;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Sends a workload's requests through a client at a steady rate, one at a time, writing the
 * contents a {@link WriteLog} gives (so the result can be verified) and timing every read. A read
 * counts as a stall when a relocation's demand-fetch counter moved while it ran: with one request
 * at a time, only that read can have moved it. Not thread safe.
 */
public final class WorkloadDriver {
    private final Workload workload;
    private final WriteLog writes;
    private final int iops;
    private long requests;
    private long next = Long.MIN_VALUE;

    /** @param iops requests per second; a request that is late is sent at once, but lateness is not made up with a burst */
    public WorkloadDriver(Workload workload, WriteLog writes, int iops) {
        this.workload = requireNonNull(workload, "workload is null");
        this.writes = requireNonNull(writes, "writes is null");
        if (iops <= 0) {
            throw new IllegalArgumentException("iops must be positive: " + iops);
        }
        this.iops = iops;
    }

    /**
     * Runs requests against {@code client} until {@code done}; the workload goes on where the
     * last call left it.
     *
     * @param demandFetches the relocation's demand-fetch count, or a constant where nothing is relocating
     * @param reads where read latencies and stalls are recorded
     */
    public void run(NbdClient client, LongSupplier demandFetches, Latencies reads, BooleanSupplier done)
            throws IOException, InterruptedException {
        long interval = TimeUnit.SECONDS.toNanos(1) / iops;
        if (next == Long.MIN_VALUE) {
            next = System.nanoTime();
        }
        byte[] buffer = new byte[64 * 1024];
        while (!done.getAsBoolean()) {
            Request r = workload.next();
            switch (r.kind()) {
                case WRITE -> client.write(r.offset(), writes.next(r.offset(), r.length()));
                case FLUSH -> client.flush();
                case READ -> {
                    byte[] dst = r.length() == buffer.length ? buffer : new byte[r.length()];
                    long fetchesBefore = demandFetches.getAsLong();
                    long t0 = System.nanoTime();
                    client.read(r.offset(), dst);
                    long latency = System.nanoTime() - t0;
                    reads.add(latency, demandFetches.getAsLong() != fetchesBefore);
                }
            }
            requests++;
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            } else if (wait < -TimeUnit.SECONDS.toNanos(1)) {
                next = System.nanoTime();  // a stall is not made up for by a burst afterwards
            }
        }
    }

    /** Requests sent so far. */
    public long requests() {
        return requests;
    }
}
