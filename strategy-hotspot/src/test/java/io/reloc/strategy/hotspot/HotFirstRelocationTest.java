package io.reloc.strategy.hotspot;

import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.api.HotRegion;
import io.reloc.core.relocation.BackgroundCopier;
import io.reloc.core.relocation.MapFile;
import io.reloc.core.relocation.RateLimiter;
import io.reloc.core.relocation.RelocatingDevice;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.strategy.prefetch.LinearStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A whole relocation with the hotspot order: the source's hot regions cross the link first. */
class HotFirstRelocationTest {
    private static final int BLOCK = 4096;
    private static final long MIB = 1 << 20;
    private static final long SIZE = 32 * MIB;
    /** What the copier may have in flight at once, at the most (64 fetches of 256 KiB). */
    private static final long WINDOW = 16 * MIB;

    @TempDir
    Path dir;

    /** A source that remembers the offset of each read, in the order they came. */
    private static final class RecordingSource implements io.reloc.api.BlockDevice {
        final List<long[]> reads = Collections.synchronizedList(new ArrayList<>());
        private final MemoryBlockStore data;

        RecordingSource(byte[] content) throws IOException {
            data = new MemoryBlockStore(content.length);
            data.write(0, ByteBuffer.wrap(content), false);
        }

        @Override
        public long size() {
            return data.size();
        }

        @Override
        public boolean isReadOnly() {
            return true;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            reads.add(new long[] {offset, dst.remaining()});
            data.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) {
            throw new UnsupportedOperationException("the source is never written");
        }

        @Override
        public void flush() {}

        @Override
        public void trim(long offset, long length, boolean fua) {
            throw new UnsupportedOperationException("the source is never written");
        }

        @Override
        public void writeZeroes(long offset, long length, java.util.Set<io.reloc.api.ZeroFlag> flags) {
            throw new UnsupportedOperationException("the source is never written");
        }

        @Override
        public void close() {}
    }

    private static final List<HotRegion> HOT = List.of(new HotRegion(31 * MIB, MIB, 10), new HotRegion(20 * MIB, MIB, 5));

    private static boolean hot(long offset) {
        return HOT.stream().anyMatch(h -> offset >= h.offset() && offset < h.offset() + h.length());
    }

    /** Bytes of cold background reads the source saw before the last read of a hot region. */
    private long relocate(String name, CopyOrder order, String tag) throws Exception {
        long seed = 42;
        byte[] content = new byte[(int) SIZE];
        new Random(seed).nextBytes(content); // no zero runs: every block crosses the link
        RecordingSource source = new RecordingSource(content);
        MemoryBlockStore cache = new MemoryBlockStore(SIZE);
        RelocatingDevice device = RelocatingDevice.open(cache, source, new MapFile(dir.resolve(tag + ".map")), BLOCK,
                "src", "c", true);
        try (BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(0), order)) {
            copier.start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!device.complete() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        assertTrue(device.complete(), name + ": the relocation completes");
        byte[] copy = new byte[(int) SIZE];
        device.read(0, ByteBuffer.wrap(copy));
        assertArrayEquals(content, copy, name + ": the copy is the source");
        // Counted in bytes, not reads: the copier's pacing chooses how large its reads are.
        List<long[]> reads = List.copyOf(source.reads);
        int lastHot = 0;
        for (int i = 0; i < reads.size(); i++) {
            if (hot(reads.get(i)[0])) {
                lastHot = i;
            }
        }
        device.close();
        return reads.subList(0, lastHot + 1).stream().filter(r -> !hot(r[0])).mapToLong(r -> r[1]).sum();
    }

    @Test
    void hotRegionsAreCopiedBeforeTheRest() throws Exception {
        CopyContext context = new CopyContext(SIZE / BLOCK, BLOCK, () -> HOT);
        long coldFirst = relocate("hotspot", new HotspotStrategy().create(context), "hot");
        long linear = relocate("linear", new LinearStrategy().create(context), "linear");
        long hotBytes = HOT.stream().mapToLong(HotRegion::length).sum();
        System.out.println("cold bytes before the last hot read: hotspot " + coldFirst + ", linear " + linear);
        // Linear order reaches the last megabyte after almost all other data; hot-first before
        // more than the copier's window of cold data can have started.
        assertTrue(linear > SIZE - hotBytes - 5 * MIB, "linear copies the last region last: " + linear + " cold bytes first");
        assertTrue(coldFirst < WINDOW, "hotspot copies the hot regions first, but " + coldFirst
                + " cold bytes came before the last hot read");
    }
}
