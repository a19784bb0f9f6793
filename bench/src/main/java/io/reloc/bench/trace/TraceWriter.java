package io.reloc.bench.trace;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * Appends requests to a trace file ({@link TraceCsv}) as they happen. Times are taken from a
 * clock (nanoseconds) relative to when the writer was opened. Thread safe: requests of many
 * connections are written one line at a time, in the order they were recorded.
 */
public final class TraceWriter implements Closeable {
    private final BufferedWriter out;
    private final LongSupplier nanoClock;
    private final long startNanos;
    private long lines;
    private IOException failure;

    private TraceWriter(BufferedWriter out, LongSupplier nanoClock) {
        this.out = out;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    /**
     * Creates or replaces {@code file} and writes the header.
     *
     * @param nanoClock e.g. {@code System::nanoTime}
     */
    public static TraceWriter open(Path file, LongSupplier nanoClock) throws IOException {
        requireNonNull(file, "file is null");
        requireNonNull(nanoClock, "nanoClock is null");
        BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        out.write(TraceCsv.HEADER);
        out.newLine();
        return new TraceWriter(out, nanoClock);
    }

    /** Microseconds since the writer was opened. */
    public long micros() {
        return TimeUnit.NANOSECONDS.toMicros(nanoClock.getAsLong() - startNanos);
    }

    /** Records a request now. */
    public void record(int client, TraceOp op, long offset, long length) {
        append(new TraceRecord(micros(), client, op, offset, length));
    }

    /**
     * Appends one line. A failure to write does not fail the request being traced: it is kept
     * and thrown by {@link #close()}.
     */
    public synchronized void append(TraceRecord record) {
        if (failure != null) {
            return;
        }
        try {
            out.write(TraceCsv.format(record));
            out.newLine();
            lines++;
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Lines written so far, header not counted. */
    public synchronized long lines() {
        return lines;
    }

    /** Writes out what is buffered; throws the first write failure, if any. */
    public synchronized void flush() throws IOException {
        if (failure == null) {
            try {
                out.flush();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new IOException("writing the trace failed: " + failure.getMessage(), failure);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            flush();
        } finally {
            out.close();
        }
    }
}
