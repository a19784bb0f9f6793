package io.reloc.strategy.prefetch;

import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.core.relocation.BackgroundCopier;
import io.reloc.core.relocation.MapFile;
import io.reloc.core.relocation.RateLimiter;
import io.reloc.core.relocation.RelocatingDevice;
import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A relocation with the readahead order: the background copier fetches ahead of a sequential
 * reader far from where its linear pass is, so the reader finds its next blocks already local.
 */
class ReadaheadRelocationTest {
    private static final int BLOCK = 64 << 10;
    private static final int BLOCKS = 1024; // 64 MiB

    @TempDir
    Path dir;

    @Test
    void theCopierReadsAheadOfASequentialReader() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        byte[] content = new byte[BLOCK * BLOCKS];
        new Random(seed).nextBytes(content);
        MemoryBlockStore source = new MemoryBlockStore(content.length, false);
        source.write(0, ByteBuffer.wrap(content), false);
        RelocatingDevice device = RelocatingDevice.open(new MemoryBlockStore(content.length), source,
                new MapFile(dir.resolve("map")), BLOCK, "src", "c", true);
        CopyOrder order = new ReadaheadStrategy().create(CopyContext.of(BLOCKS, BLOCK));
        device.onAccess(order::onAccess);
        // 2 MiB/s: the linear pass needs about half a minute to reach block 768, the read-ahead
        // a fraction of a second for its first window.
        try (BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(2 << 20), order)) {
            copier.start();
            int reader = 768;
            byte[] got = new byte[BLOCK];
            for (int b = reader; b < reader + 2; b++) {
                device.read((long) b * BLOCK, ByteBuffer.wrap(got));
            }
            assertEquals(2, device.status().demandFetches(), "two blocks fetched on demand");
            int window = WindowPolicy.forBlockSize(BLOCK).initial(1);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!allPresent(device, reader + 2, reader + 2 + window) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(allPresent(device, reader + 2, reader + 2 + window),
                    "the first window ahead of the reader was copied in the background");
            for (int b = reader + 2; b < reader + 2 + window; b++) {
                device.read((long) b * BLOCK, ByteBuffer.wrap(got));
                byte[] expected = java.util.Arrays.copyOfRange(content, b * BLOCK, (b + 1) * BLOCK);
                assertArrayEquals(expected, got, "block " + b + ", seed " + seed);
            }
            assertEquals(2, device.status().demandFetches(), "the reader's next blocks were local: no demand fetch");
        } finally {
            device.close();
        }
    }

    private static boolean allPresent(RelocatingDevice device, long from, long to) {
        for (long b = from; b < to; b++) {
            if (!device.isPresent(b)) {
                return false;
            }
        }
        return true;
    }
}
