package io.reloc.bench.trace;

import io.reloc.api.AccessHeat;
import io.reloc.api.BlockDevice;
import io.reloc.api.HotRegion;
import io.reloc.bench.workload.LocalServer;
import io.reloc.bench.workload.NbdClient;
import io.reloc.bench.workload.Request;
import io.reloc.bench.workload.TraceWorkload;
import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceCsvTest {
    @TempDir
    Path dir;

    @Test
    void writtenTracesReadBackTheSame() throws IOException {
        long seed = new SplittableRandom().nextLong();
        System.out.println("TraceCsvTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        List<TraceRecord> records = new ArrayList<>();
        long micros = 0;
        for (int i = 0; i < 1000; i++) {
            micros += random.nextInt(5000);
            TraceOp op = TraceOp.values()[random.nextInt(TraceOp.values().length)];
            records.add(op == TraceOp.FLUSH ? new TraceRecord(micros, 1 + random.nextInt(3), op, 0, 0)
                    : new TraceRecord(micros, 1 + random.nextInt(3), op, random.nextLong(1L << 40), random.nextInt(1 << 25)));
        }
        Path file = dir.resolve("t.csv");
        TraceCsv.write(file, records);
        assertEquals(TraceCsv.HEADER, Files.readAllLines(file).get(0));
        assertEquals(records, TraceCsv.read(file), "seed " + seed);
    }

    @Test
    void commentsAndBlankLinesAreSkippedAndBadLinesNamed() throws IOException {
        Path file = dir.resolve("t.csv");
        Files.writeString(file, "# recorded by hand\n\n0,1,read,0,4096\n 5 , 2 , write , 8192 , 512 \n");
        assertEquals(List.of(new TraceRecord(0, 1, TraceOp.READ, 0, 4096), new TraceRecord(5, 2, TraceOp.WRITE, 8192, 512)),
                TraceCsv.read(file));
        Files.writeString(file, TraceCsv.HEADER + "\n0,1,read,0,4096\n1,1,erase,0,4096\n");
        IOException e = assertThrows(IOException.class, () -> TraceCsv.read(file));
        assertTrue(e.getMessage().endsWith("line 3: unknown operation 'erase'; a trace has read, write, flush, trim, zero or cache"),
                e.getMessage());
        Files.writeString(file, "0,1,read,0\n");
        assertTrue(assertThrows(IOException.class, () -> TraceCsv.read(file)).getMessage().contains("expected 5 fields"));
    }

    @Test
    void aServerWithATracingCatalogRecordsEachClientsRequests() throws IOException {
        Path image = dir.resolve("disk.img");
        Files.write(image, new byte[1 << 20]);
        Path file = dir.resolve("trace.csv");
        TraceWriter writer = TraceWriter.open(file, System::nanoTime);
        try (LocalServer server = LocalServer.serve(image, "d", false, exports -> new TracingCatalog(exports, writer))) {
            try (NbdClient a = NbdClient.open(server.address(), "d")) {
                a.write(4096, new byte[8192]);
                a.flush();
                try (NbdClient b = NbdClient.open(server.address(), "d")) {
                    b.read(65536, new byte[512]);
                }
                a.read(0, new byte[4096]);
            }
        }
        writer.close();
        List<TraceRecord> trace = TraceCsv.read(file);
        assertEquals(List.of("1 write 4096 8192", "1 flush 0 0", "2 read 65536 512", "1 read 0 4096"),
                trace.stream().map(r -> r.client() + " " + r.op().csvName() + " " + r.offset() + " " + r.length()).toList());
        for (int i = 1; i < trace.size(); i++) {
            assertTrue(trace.get(i).micros() >= trace.get(i - 1).micros(), "in time order: " + trace);
        }

        // Replayed: whole pages, in order, trims left out, then from the start again.
        TraceWorkload replay = new TraceWorkload(trace, 1 << 20);
        assertEquals(List.of(Request.write(4096, 8192), Request.flush(), Request.read(65536, 4096), Request.read(0, 4096),
                Request.write(4096, 8192)), List.of(replay.next(), replay.next(), replay.next(), replay.next(), replay.next()));
    }

    @Test
    void aTracedDeviceKeepsItsHeatMapVisibleAndRecordsItsRequests() throws IOException {
        List<HotRegion> hot = List.of(new HotRegion(0, 1 << 20, 3.0));
        Path file = dir.resolve("heat.csv");
        try (TraceWriter writer = TraceWriter.open(file, System::nanoTime)) {
            MemoryBlockStore store = new MemoryBlockStore(1 << 20);
            assertFalse(TracingDevice.of(store, writer, 1) instanceof AccessHeat, "no heat map where there is none");
            TracingDevice traced = TracingDevice.of(new HeatedStore(store, hot), writer, 7);
            assertEquals(hot, ((AccessHeat) traced).hottest(10));
            traced.trim(4096, 8192, false);
        }
        assertEquals(List.of(TraceOp.TRIM), TraceCsv.read(file).stream().map(TraceRecord::op).toList());
        assertEquals(7, TraceCsv.read(file).get(0).client());
    }

    /** A store with a fixed heat map, as a source recording heat would have. */
    private record HeatedStore(MemoryBlockStore store, List<HotRegion> hot) implements BlockDevice, AccessHeat {
        @Override
        public List<HotRegion> hottest(int limit) {
            return hot;
        }

        @Override
        public long size() {
            return store.size();
        }

        @Override
        public boolean isReadOnly() {
            return false;
        }

        @Override
        public void read(long offset, java.nio.ByteBuffer dst) throws IOException {
            store.read(offset, dst);
        }

        @Override
        public void write(long offset, java.nio.ByteBuffer src, boolean fua) throws IOException {
            store.write(offset, src, fua);
        }

        @Override
        public void flush() {
        }

        @Override
        public void trim(long offset, long length, boolean fua) throws IOException {
            store.trim(offset, length, fua);
        }

        @Override
        public void writeZeroes(long offset, long length, java.util.Set<io.reloc.api.ZeroFlag> flags) throws IOException {
            store.writeZeroes(offset, length, flags);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aTraceWithNothingToReplayOnTheDiskIsRefused() {
        List<TraceRecord> trace = List.of(new TraceRecord(0, 1, TraceOp.READ, 1L << 30, 4096), new TraceRecord(1, 1, TraceOp.TRIM, 0, 4096));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TraceWorkload(trace, 1 << 20));
        assertTrue(e.getMessage().contains("no read or write inside a disk of 1048576 bytes"), e.getMessage());
    }
}
