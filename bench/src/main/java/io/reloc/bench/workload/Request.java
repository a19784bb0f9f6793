package io.reloc.bench.workload;

import static java.util.Objects.requireNonNull;

/**
 * One request of a workload. Reads and writes cover whole pages ({@link Workload#PAGE}) inside
 * the disk; a flush has offset and length 0.
 */
public record Request(Kind kind, long offset, int length) {
    /** What a request does. */
    public enum Kind { READ, WRITE, FLUSH }

    public Request {
        requireNonNull(kind, "kind is null");
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative: " + offset + "+" + length);
        }
    }

    public static Request read(long offset, int length) {
        return new Request(Kind.READ, offset, length);
    }

    public static Request write(long offset, int length) {
        return new Request(Kind.WRITE, offset, length);
    }

    public static Request flush() {
        return new Request(Kind.FLUSH, 0, 0);
    }
}
