package io.reloc.core.relocation;

import io.reloc.api.ForwardingBlockDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A background fetch ends its transfer when the data is in hand, not when the cache has written
 * it, and fetched data waiting for a slow cache is bounded.
 */
class CopierWriteBacklogTest {
    private static final int BLOCK = 64 << 10;
    private static final int BLOCKS = 1024; // 64 MiB
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    /** A cache whose writes wait at a gate, counting the bytes waiting. */
    private static final class GatedStore extends ForwardingBlockDevice {
        final CountDownLatch gate = new CountDownLatch(1);
        final AtomicLong waiting = new AtomicLong();
        final AtomicLong mostWaiting = new AtomicLong();

        GatedStore(int size) {
            super(new CrashableStore(size));
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            awaitGate(src.remaining());
            super.write(offset, src, fua);
        }

        /** What the background copy writes. */
        @Override
        public void writeUncached(long offset, ByteBuffer src) throws IOException {
            awaitGate(src.remaining());
            super.writeUncached(offset, src);
        }

        private void awaitGate(long bytes) throws IOException {
            mostWaiting.accumulateAndGet(waiting.addAndGet(bytes), Math::max);
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } finally {
                waiting.addAndGet(-bytes);
            }
        }
    }

    @Test
    void fetchesGoOnWhileTheCacheWritesAndStopAtTheBacklogBound() throws Exception {
        byte[] content = new byte[BLOCK * BLOCKS];
        new Random(11).nextBytes(content);
        GatedStore cache = new GatedStore(content.length);
        RelocatingDevice device = RelocatingDevice.open(cache, new TestSource(content),
                new MapFile(dir.resolve("backlog.map")), BLOCK, "src", "c1", StartMode.ACTIVE);
        BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(0));
        try {
            copier.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (cache.waiting.get() < 8 * MIB && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // Holding the pacer's slot through the write kept at most its window (4 runs of at
            // most 1 MiB) waiting for the cache.
            assertTrue(cache.waiting.get() >= 8 * MIB,
                    "fetched data waiting for the cache: " + cache.waiting.get() + " bytes; transfers wait for writes");
            Thread.sleep(300);
            // The bound (16 MiB) plus what was in flight when it was reached (the pacer's window,
            // a few MiB from memory); unbounded, the whole disk (64 MiB) would be waiting.
            assertTrue(cache.mostWaiting.get() <= 32 * MIB,
                    "fetched data waiting for the cache reached " + cache.mostWaiting.get() + " bytes");
            assertEquals(0, device.status().presentBlocks(), "nothing is present before it is written");

            cache.gate.countDown();
            while (device.state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(RelocationState.COMPLETE, device.state());
            byte[] copied = new byte[content.length];
            device.read(0, ByteBuffer.wrap(copied));
            assertArrayEquals(content, copied);
        } finally {
            cache.gate.countDown(); // closing the copier waits for its fetches
            copier.close();
        }
    }
}
