package io.reloc.bench.workload;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Sends a workload's requests at a steady rate, writing the contents a {@link WriteLog} gives (so
 * the result can be verified) and timing every read, in one of two {@link Mode}s.
 *
 * <p><b>Open loop</b> (the default): request {@code i} of a {@link #run} is sent at its start plus
 * {@code i / iops} seconds whatever happened to earlier ones, each on a virtual thread with a
 * connection of its own, so that runs which stall differently still send the same requests at the
 * same times. At most {@link #MAX_IN_FLIGHT} requests are in flight; when that bound is reached
 * the schedule waits, and {@link #boundHits()} counts how often. Requests that touch a common
 * 64 KiB {@link #CHUNK} are sent in the workload's order, each only once the earlier ones have been
 * answered, so that the disk ends as the {@link WriteLog} says; others overlap freely. A read's
 * latency is counted from the time it was due (so it includes waiting behind an earlier request of
 * its range); it is a stall when part of its range was absent at the destination when it was sent
 * ({@link StallProbe#absent}): it had to wait for the source, for a demand fetch or for the
 * background copy's fetch in flight.
 *
 * <p><b>Closed loop</b>: one request at a time on one connection; a late request is sent at once,
 * and a run more than a second behind its schedule gives up catching up. A read is a stall when
 * the relocation's demand-fetch counter moved while it ran (with one request at a time, only that
 * read can have moved it). A run that stalls sends fewer requests while it stalls, so runs of
 * different strategies do not see the same requests at the same times.
 *
 * <p>Not thread safe: one {@link #run} at a time.
 */
public final class WorkloadDriver {
    /** How requests are sent. */
    public enum Mode { OPEN_LOOP, CLOSED_LOOP }

    /** The most requests in flight at once in open loop. */
    public static final int MAX_IN_FLIGHT = 64;

    /** The unit within which requests keep their order in open loop. */
    public static final int CHUNK = 64 * 1024;

    private final Workload workload;
    private final WriteLog writes;
    private final int iops;
    private final Mode mode;
    private long requests;
    private long boundHits;
    private long next = Long.MIN_VALUE;

    /** An open-loop driver. */
    public WorkloadDriver(Workload workload, WriteLog writes, int iops) {
        this(workload, writes, iops, Mode.OPEN_LOOP);
    }

    public WorkloadDriver(Workload workload, WriteLog writes, int iops, Mode mode) {
        this.workload = requireNonNull(workload, "workload is null");
        this.writes = requireNonNull(writes, "writes is null");
        this.mode = requireNonNull(mode, "mode is null");
        if (iops <= 0) {
            throw new IllegalArgumentException("iops must be positive: " + iops);
        }
        this.iops = iops;
    }

    /**
     * Sends requests through {@code connections} until {@code done} (asked before each request);
     * returns when every request sent has been answered. The workload goes on where the last call
     * left it; in open loop the schedule starts afresh at each call.
     *
     * @param probe tells whether a read stalled; {@link StallProbe#NONE} where nothing is relocating
     * @param reads where read latencies and stalls are recorded
     * @throws IOException the first request that failed (the others sent are still waited for)
     */
    public void run(Connections connections, StallProbe probe, Latencies reads, BooleanSupplier done)
            throws IOException, InterruptedException {
        requireNonNull(connections, "connections is null");
        requireNonNull(probe, "probe is null");
        requireNonNull(reads, "reads is null");
        if (mode == Mode.CLOSED_LOOP) {
            BlockClient client = connections.take();
            try {
                runClosedLoop(client, probe, reads, done);
            } finally {
                connections.give(client);
            }
        } else {
            runOpenLoop(connections, probe, reads, done);
        }
    }

    /** Requests sent so far. */
    public long requests() {
        return requests;
    }

    /** How often a request was due while {@link #MAX_IN_FLIGHT} were in flight (open loop), so that the schedule slipped. */
    public long boundHits() {
        return boundHits;
    }

    public Mode mode() {
        return mode;
    }

    private void runOpenLoop(Connections connections, StallProbe probe, Latencies reads, BooleanSupplier done)
            throws IOException, InterruptedException {
        long interval = TimeUnit.SECONDS.toNanos(1) / iops;
        Semaphore slots = new Semaphore(MAX_IN_FLIGHT);
        // The last request sent (or waiting to be sent) per chunk: a later one of that chunk waits for it.
        Map<Long, CompletableFuture<Void>> lastByChunk = new ConcurrentHashMap<>();
        AtomicReference<IOException> failure = new AtomicReference<>();
        long due = System.nanoTime();
        try {
            while (!done.getAsBoolean() && failure.get() == null) {
                Request r = workload.next();
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                if (!slots.tryAcquire()) {
                    boundHits++;
                    slots.acquire();
                }
                byte[] data = r.kind() == Request.Kind.WRITE ? writes.next(r.offset(), r.length()) : null;
                CompletableFuture<Void> finished = new CompletableFuture<>();
                List<CompletableFuture<Void>> earlier = new ArrayList<>(2);
                List<Long> chunks = chunks(r);
                for (long chunk : chunks) {
                    CompletableFuture<Void> previous = lastByChunk.put(chunk, finished);
                    if (previous != null) {
                        earlier.add(previous);
                    }
                }
                long dueAt = due;
                Thread.startVirtualThread(() -> {
                    try {
                        for (CompletableFuture<Void> e : earlier) {
                            e.join();
                        }
                        send(connections, r, data, probe, reads, dueAt);
                    } catch (IOException e) {
                        failure.compareAndSet(null, e);
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, new IOException(e));
                    } finally {
                        finished.complete(null);
                        chunks.forEach(c -> lastByChunk.remove(c, finished));
                        slots.release();
                    }
                });
                requests++;
                due += interval;
            }
        } finally {
            slots.acquireUninterruptibly(MAX_IN_FLIGHT);  // every request answered
            slots.release(MAX_IN_FLIGHT);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    private static void send(Connections connections, Request r, byte[] data, StallProbe probe, Latencies reads, long due)
            throws IOException {
        BlockClient client = connections.take();
        try {
            switch (r.kind()) {
                case WRITE -> client.write(r.offset(), data);
                case FLUSH -> client.flush();
                case READ -> {
                    byte[] dst = new byte[r.length()];
                    boolean stalled = probe.absent(r.offset(), r.length());
                    client.read(r.offset(), dst);
                    reads.add(System.nanoTime() - due, stalled);
                }
            }
        } finally {
            connections.give(client);
        }
    }

    /** The chunks a request touches; none for a flush, which orders nothing here. */
    private static List<Long> chunks(Request r) {
        if (r.length() == 0) {
            return List.of();
        }
        long first = r.offset() / CHUNK;
        long last = (r.offset() + r.length() - 1) / CHUNK;
        List<Long> chunks = new ArrayList<>((int) (last - first + 1));
        for (long c = first; c <= last; c++) {
            chunks.add(c);
        }
        return chunks;
    }

    private void runClosedLoop(BlockClient client, StallProbe probe, Latencies reads, BooleanSupplier done)
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
                    long fetchesBefore = probe.demandFetches();
                    long t0 = System.nanoTime();
                    client.read(r.offset(), dst);
                    long latency = System.nanoTime() - t0;
                    reads.add(latency, probe.demandFetches() != fetchesBefore);
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
}
