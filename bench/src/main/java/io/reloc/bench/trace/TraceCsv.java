package io.reloc.bench.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The trace file format that {@code reloc serve --trace FILE} writes and
 * {@code reloc experiment --trace FILE} replays: UTF-8 text, one request per line, five
 * comma-separated fields:
 *
 * <pre>
 * time_us,client,op,offset,length
 * 0,1,read,0,4096
 * 1834,1,write,1048576,65536
 * 2001,2,flush,0,0
 * </pre>
 *
 * <p>{@code time_us}: microseconds since the trace began; {@code client}: the connection, numbered
 * from 1 in the order clients chose their export; {@code op}: {@code read}, {@code write},
 * {@code flush}, {@code trim}, {@code zero} (write-zeroes) or {@code cache} (a prefetch hint);
 * {@code offset}, {@code length}: bytes. The header line is optional when reading; lines that are
 * empty or begin with {@code #} are skipped. Lines are in the order requests arrived.
 */
public final class TraceCsv {
    /** The header line, written first. */
    public static final String HEADER = "time_us,client,op,offset,length";

    private TraceCsv() {}

    /** One line, without its line break. */
    public static String format(TraceRecord r) {
        return r.micros() + "," + r.client() + "," + r.op().csvName() + "," + r.offset() + "," + r.length();
    }

    /**
     * Parses one line.
     *
     * @throws IllegalArgumentException saying what is wrong with it
     */
    public static TraceRecord parse(String line) {
        String[] f = line.split(",", -1);
        if (f.length != 5) {
            throw new IllegalArgumentException("expected 5 fields (" + HEADER + "), found " + f.length);
        }
        try {
            return new TraceRecord(Long.parseLong(f[0].trim()), Integer.parseInt(f[1].trim()), TraceOp.parse(f[2].trim()),
                    Long.parseLong(f[3].trim()), Long.parseLong(f[4].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("time_us, client, offset and length must be whole numbers: " + e.getMessage());
        }
    }

    /**
     * Reads a whole trace.
     *
     * @throws IOException on a read failure, or naming the file and line that cannot be parsed
     */
    public static List<TraceRecord> read(Path file) throws IOException {
        List<TraceRecord> records = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#") || t.equals(HEADER)) {
                    continue;
                }
                try {
                    records.add(parse(t));
                } catch (IllegalArgumentException e) {
                    throw new IOException(file + " line " + number + ": " + e.getMessage(), e);
                }
            }
        }
        return records;
    }

    /** Writes a whole trace, header first. */
    public static void write(Path file, List<TraceRecord> records) throws IOException {
        try (TraceWriter writer = TraceWriter.open(file, System::nanoTime)) {
            records.forEach(writer::append);
        }
    }
}
