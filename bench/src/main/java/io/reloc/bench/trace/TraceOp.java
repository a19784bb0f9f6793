package io.reloc.bench.trace;

import java.util.Locale;

/** What a traced request did; written in lower case in a trace. */
public enum TraceOp {
    READ, WRITE, FLUSH, TRIM, ZERO, CACHE;

    /** The name in a trace file: {@code read}, {@code write}, … */
    public String csvName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the operations there are */
    public static TraceOp parse(String text) {
        for (TraceOp op : values()) {
            if (op.csvName().equals(text)) {
                return op;
            }
        }
        throw new IllegalArgumentException("unknown operation '" + text + "'; a trace has read, write, flush, trim, zero or cache");
    }
}
