package io.reloc.core.relocation;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * I3 (no stale overwrite) under the interleavings a sequential model cannot produce: a fetch is
 * held at the source while a write lands.
 */
class RelocationRaceTest {
    private static final int BLOCK = 4096;
    private static final int SIZE = BLOCK * 8;

    @TempDir
    Path dir;

    private byte[] content;
    private TestSource source;
    private RelocatingDevice device;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void setUp() throws Exception {
        content = new byte[SIZE];
        new Random(7).nextBytes(content);
        source = new TestSource(content);
        device = RelocatingDevice.open(new CrashableStore(SIZE), source, new MapFile(dir.resolve("m")), BLOCK, "s", "c", true);
    }

    private Future<byte[]> readInBackground(long offset, int length) {
        return threads.submit(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            device.read(offset, buffer);
            return buffer.array();
        });
    }

    private byte[] read(long offset, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        device.read(offset, buffer);
        return buffer.array();
    }

    @Test
    void aWholeBlockWriteWinsOverAFetchInFlight() throws Exception {
        source.gate = new CountDownLatch(1);
        Future<byte[]> reader = readInBackground(BLOCK, 100);
        assertEquals(true, source.readStarted.await(5, TimeUnit.SECONDS));

        byte[] written = new byte[BLOCK];
        Arrays.fill(written, (byte) 0x77);
        device.write(BLOCK, ByteBuffer.wrap(written), false); // needs no fetch: does not wait
        source.gate.countDown();
        reader.get(5, TimeUnit.SECONDS);

        assertArrayEquals(written, read(BLOCK, BLOCK), "the fetched block overwrote a local write");
    }

    @Test
    void aPartialWriteWaitsForTheFetchAndKeepsBoth() throws Exception {
        source.gate = new CountDownLatch(1);
        Future<byte[]> reader = readInBackground(BLOCK, 100);
        assertEquals(true, source.readStarted.await(5, TimeUnit.SECONDS));
        Future<?> writer = threads.submit(() -> {
            device.write(BLOCK + 10, ByteBuffer.wrap(new byte[] {1, 2, 3}), false);
            return null;
        });
        Thread.sleep(50);
        assertFalse(writer.isDone(), "a partial write of an absent block must wait for its data");
        source.gate.countDown();
        writer.get(5, TimeUnit.SECONDS);
        reader.get(5, TimeUnit.SECONDS);

        byte[] expected = Arrays.copyOfRange(content, BLOCK, 2 * BLOCK);
        expected[10] = 1;
        expected[11] = 2;
        expected[12] = 3;
        assertArrayEquals(expected, read(BLOCK, BLOCK));
    }

    @Test
    void concurrentReadsOfOneBlockFetchItOnce() throws Exception {
        source.gate = new CountDownLatch(1);
        Future<byte[]> first = readInBackground(2 * BLOCK, BLOCK);
        assertEquals(true, source.readStarted.await(5, TimeUnit.SECONDS));
        Future<byte[]> second = readInBackground(2 * BLOCK + 5, 10);
        Thread.sleep(50);
        source.gate.countDown();
        assertArrayEquals(Arrays.copyOfRange(content, 2 * BLOCK, 3 * BLOCK), first.get(5, TimeUnit.SECONDS));
        assertArrayEquals(Arrays.copyOfRange(content, 2 * BLOCK + 5, 2 * BLOCK + 15), second.get(5, TimeUnit.SECONDS));
        assertEquals(1, source.reads.get());
    }

    @Test
    void afterCompletionNothingIsReadFromTheSource() throws Exception {
        for (long b = device.nextAbsent(0); b >= 0; b = device.nextAbsent(b)) {
            device.copyInBackground(b);
        }
        assertEquals(true, device.complete());
        source.detached = true;
        assertArrayEquals(content, read(0, SIZE));
        assertEquals(null, source.violation);
        assertEquals(RelocationState.COMPLETE, device.status().state());
    }
}
