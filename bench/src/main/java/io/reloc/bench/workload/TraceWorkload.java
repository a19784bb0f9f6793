package io.reloc.bench.workload;

import io.reloc.bench.trace.TraceOp;
import io.reloc.bench.trace.TraceRecord;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Replays a recorded trace ({@link io.reloc.bench.trace.TraceCsv}), from its first request
 * again after its last, so that it lasts as long as an experiment needs. Requests of every
 * client are replayed by one client in the order they were recorded (their times are not kept:
 * the experiment sets the pace). Reads, writes and flushes are replayed; trims, write-zeroes and
 * cache hints are left out. Reads and writes are widened to whole pages and cut at the end of the
 * disk; those wholly beyond it are left out.
 */
public final class TraceWorkload implements Workload {
    private final List<Request> requests;
    private int next;

    /**
     * @throws IllegalArgumentException if no request of the trace can be replayed on a disk of {@code size} bytes
     */
    public TraceWorkload(List<TraceRecord> trace, long size) {
        requireNonNull(trace, "trace is null");
        long end = Workloads.pages(size) * PAGE;
        List<Request> kept = new ArrayList<>();
        for (TraceRecord r : trace) {
            switch (r.op()) {
                case READ, WRITE -> {
                    long first = r.offset() / PAGE * PAGE;
                    long last = Math.min(end, Math.ceilDiv(r.offset() + Math.max(1, r.length()), PAGE) * PAGE);
                    if (first < end) {
                        // One request carries at most 32 MiB, the NBD limit of most servers.
                        int length = (int) Math.min(last - first, 32 << 20);
                        kept.add(r.op() == TraceOp.READ ? Request.read(first, length) : Request.write(first, length));
                    }
                }
                case FLUSH -> kept.add(Request.flush());
                case TRIM, ZERO, CACHE -> {
                    // not replayed: see the class comment
                }
            }
        }
        if (kept.stream().noneMatch(r -> r.kind() != Request.Kind.FLUSH)) {
            throw new IllegalArgumentException("the trace has no read or write inside a disk of " + size + " bytes");
        }
        this.requests = List.copyOf(kept);
    }

    /** How many requests one pass replays. */
    public int length() {
        return requests.size();
    }

    @Override
    public Request next() {
        Request r = requests.get(next);
        next = (next + 1) % requests.size();
        return r;
    }
}
