package io.reloc.core.relocation;

import io.reloc.api.ForwardingBlockDevice;
import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The cache is told which blocks no client asked for (the background copy's, written with
 * {@code writeUncached}) so that it may keep them out of memory, and never the blocks a client
 * read: those it will likely read again.
 */
class BackgroundReleaseTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    /** A cache that records its uncached writes as "offset+length". */
    private static final class HintedCache extends ForwardingBlockDevice {
        final List<String> hints = new ArrayList<>();
        final List<String> allocations = new ArrayList<>();
        boolean failing;

        HintedCache(int size) {
            super(new MemoryBlockStore(size));
        }

        @Override
        public synchronized void writeUncached(long offset, ByteBuffer src) throws IOException {
            hints.add(offset + "+" + src.remaining());
            if (failing) {
                throw new IOException("the disk failed");
            }
            super.writeUncached(offset, src);
        }

        @Override
        public synchronized void allocate(long offset, long length) throws IOException {
            allocations.add(offset / BLOCK + "+" + length / BLOCK);
            super.allocate(offset, length);
        }
    }

    private RelocatingDevice activeDevice(HintedCache cache, byte[] content) throws IOException {
        RelocatingDevice device = RelocatingDevice.open(cache, new TestSource(content), new MapFile(dir.resolve("m")),
                BLOCK, "src", "c1", false);
        device.activate(ActivationTrigger.CONTROL);
        return device;
    }

    /** Only whole absent blocks are allocated ahead: a present block keeps its data or its hole. */
    @Test
    void allocationAheadSkipsPresentAndPartialBlocks() throws IOException {
        byte[] content = new byte[16 * BLOCK];
        new Random(17).nextBytes(content);
        HintedCache cache = new HintedCache(content.length);
        RelocatingDevice device = activeDevice(cache, content);
        device.read(2L * BLOCK, ByteBuffer.allocate(2 * BLOCK));   // blocks 2, 3 present
        device.trim(9L * BLOCK, BLOCK, false);                     // block 9 present, a hole

        device.allocateAbsent(0, 16L * BLOCK);
        assertEquals(List.of("0+2", "4+5", "10+6"), cache.allocations);
        cache.allocations.clear();
        device.allocateAbsent(100, 5L * BLOCK + 100);              // block 0 and 5 only in part
        assertEquals(List.of("1+1", "4+1"), cache.allocations);
    }

    /** The copier allocates the source's data ahead of fetching it, never what the source reports as zeroes. */
    @Test
    void theCopierAllocatesDataAheadAndLeavesZeroesAsHoles() throws Exception {
        byte[] content = new byte[16 * BLOCK];
        new Random(18).nextBytes(content);
        java.util.Arrays.fill(content, 8 * BLOCK, 12 * BLOCK, (byte) 0);
        HintedCache cache = new HintedCache(content.length);
        RelocatingDevice device = activeDevice(cache, content);
        try (BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(0))) {
            copier.start();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (device.state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }
        assertEquals(RelocationState.COMPLETE, device.state());
        assertEquals(List.of("0+8", "12+4"), cache.allocations, "one allocation per data span of the region");
        ByteBuffer all = ByteBuffer.allocate(content.length);
        device.read(0, all);
        assertArrayEquals(content, all.array());
    }

    @Test
    void backgroundRunsAreHintedAndDemandFetchesAreNot() throws IOException {
        byte[] content = new byte[16 * BLOCK];
        new Random(16).nextBytes(content);
        HintedCache cache = new HintedCache(content.length);
        RelocatingDevice device = activeDevice(cache, content);

        ByteBuffer read = ByteBuffer.allocate(2 * BLOCK);
        device.read(0, read);
        assertEquals(List.of(), cache.hints, "a client's read is not hinted away");

        assertEquals(3, device.copyRun(5, 3));
        assertEquals(List.of(5 * BLOCK + "+" + 3 * BLOCK), cache.hints);
        assertEquals(3, device.copyRun(2, 8), "blocks 2..4: block 5 is present");
        assertEquals(List.of(5 * BLOCK + "+" + 3 * BLOCK, 2 * BLOCK + "+" + 3 * BLOCK), cache.hints);

        ByteBuffer all = ByteBuffer.allocate(content.length);
        device.read(0, all);
        assertArrayEquals(content, all.array(), "the hint changes no data");
    }

    /** The uncached write is the run's only write: when it fails, the fetch fails and the blocks stay absent. */
    @Test
    void aFailingUncachedWriteFailsTheFetch() throws IOException {
        byte[] content = new byte[8 * BLOCK];
        new Random(8).nextBytes(content);
        HintedCache cache = new HintedCache(content.length);
        cache.failing = true;
        RelocatingDevice device = activeDevice(cache, content);

        assertThrows(IOException.class, () -> device.copyRun(0, 8));
        assertEquals(0, device.status().presentBlocks());
        cache.failing = false;
        ByteBuffer all = ByteBuffer.allocate(content.length);
        device.read(0, all);
        assertArrayEquals(content, all.array(), "a client's read fetches the blocks again");
        assertEquals(List.of("0+" + 8 * BLOCK), cache.hints, "and writes them cached");
    }
}
