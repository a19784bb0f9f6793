package io.reloc.bench.trace;

import static java.util.Objects.requireNonNull;

/**
 * One request as a trace records it: one line of the CSV format ({@link TraceCsv}).
 *
 * @param micros when the request arrived, in microseconds since the trace began
 * @param client which connection sent it: 1 for the first client, 2 for the next, …
 * @param op what it did
 * @param offset the first byte (0 for a flush)
 * @param length bytes (0 for a flush)
 */
public record TraceRecord(long micros, int client, TraceOp op, long offset, long length) {
    public TraceRecord {
        requireNonNull(op, "op is null");
        if (micros < 0 || client < 0 || offset < 0 || length < 0) {
            throw new IllegalArgumentException("trace values must not be negative: " + micros + "," + client + "," + offset + "," + length);
        }
    }
}
