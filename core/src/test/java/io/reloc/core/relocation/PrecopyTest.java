package io.reloc.core.relocation;

import io.reloc.core.tracking.TrackingUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hybrid pre-copy in the engine: what is kept, what is forgotten, and when nothing can be trusted. */
class PrecopyTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 8;
    private static final int SIZE = BLOCK * BLOCKS;

    @TempDir
    Path dir;

    private final CrashableStore cache = new CrashableStore(SIZE);

    private static TestSource source() throws IOException {
        byte[] content = new byte[SIZE];
        new Random(7).nextBytes(content);
        return new TestSource(content);
    }

    private RelocatingDevice open(TestSource source, StartMode mode) throws IOException {
        return RelocatingDevice.open(cache, source, new MapFile(dir.resolve("disk.map")), BLOCK, "src", "c1", mode);
    }

    private static void copyAll(RelocatingDevice device) throws IOException {
        for (long b = device.nextAbsent(0); b >= 0; b = device.nextAbsent(b + 1)) {
            device.copyRun(b, BLOCKS);
        }
    }

    private static byte[] fill(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    private static void assertReadsAsSource(RelocatingDevice device, TestSource source) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        device.read(0, all);
        assertArrayEquals(source.content(), all.array(), "the disk must read as the source at switch-over (I2)");
    }

    @Test
    void precopiedBlocksAreKeptAndRewrittenOnesForgotten() throws IOException {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        assertEquals(RelocationState.PRECOPY, device.state());
        copyAll(device);
        assertEquals(BLOCKS, device.status().presentBlocks());

        source.writeAtSource(3L * BLOCK + 100, fill(10, 0x11));
        assertEquals(1, device.refreshPrecopy(), "one block was rewritten at the source");
        assertFalse(device.isPresent(3));
        copyAll(device); // the next pass copies it again
        source.writeAtSource(5L * BLOCK, fill(BLOCK + 1, 0x22)); // blocks 5 and 6

        long readsBefore = source.reads.get();
        device.activate(ActivationTrigger.CONTROL);
        assertEquals(RelocationState.ACTIVE, device.state());
        assertEquals(BLOCKS - 2, device.status().presentBlocks(), "the final answer names blocks 5 and 6");
        assertReadsAsSource(device, source);
        assertEquals(1, source.reads.get() - readsBefore, "only the rewritten run is fetched after switch-over");
        assertEquals(0, source.trackingSessions(), "activation ends the session at the source");
    }

    @Test
    void aRestartedSourceMakesEveryPrecopiedBlockUntrusted() throws IOException {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        copyAll(device);
        device.flush();
        source.restart();
        // Written after the restart: no session records it, so only distrust keeps it right.
        source.writeAtSource(2L * BLOCK, fill(BLOCK, 0x33));

        device.activate(ActivationTrigger.CONTROL);
        assertEquals(0, device.status().presentBlocks(), "nothing pre-copied may be trusted");
        assertReadsAsSource(device, source);
    }

    @Test
    void aRestartedSourceIsNoticedAfterAProxyCrashToo() throws IOException {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        copyAll(device);
        device.flush();
        cache.crash();
        source.restart();
        source.writeAtSource(0, fill(BLOCK * 2, 0x44));

        RelocatingDevice reopened = open(source, StartMode.PRECOPY);
        assertEquals(RelocationState.PRECOPY, reopened.state());
        assertEquals(BLOCKS, reopened.status().presentBlocks(), "the map resumes with what was durable");
        assertEquals(BLOCKS, reopened.refreshPrecopy(), "the unknown session drops every pre-copied block");
        assertEquals(1, source.trackingSessions(), "and starts a new session");
        reopened.activate(ActivationTrigger.CONTROL);
        assertReadsAsSource(reopened, source);
    }

    @Test
    void anAnswerLostInACrashIsGivenAgain() throws IOException {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        copyAll(device);
        device.flush();
        source.writeAtSource(4L * BLOCK, fill(7, 0x55));
        // The proxy's copy of the map from before the round, as if it crashed before persisting it.
        byte[] mapBefore = java.nio.file.Files.readAllBytes(dir.resolve("disk.map"));
        assertEquals(1, device.refreshPrecopy());
        java.nio.file.Files.write(dir.resolve("disk.map"), mapBefore);
        cache.crash();

        RelocatingDevice reopened = open(source, StartMode.ACTIVE);
        assertEquals(RelocationState.ACTIVE, reopened.state());
        assertFalse(reopened.isPresent(4), "the source repeats the unacknowledged answer");
        assertEquals(BLOCKS - 1, reopened.status().presentBlocks());
        assertReadsAsSource(reopened, source);
    }

    @Test
    void aCopyOnTheWireDuringARoundIsNotInstalled() throws Exception {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        source.holdAfterRead = new CountDownLatch(1);
        Thread copy = Thread.ofPlatform().start(() -> {
            try {
                device.copyRun(1, 1);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(source.readTaken.await(10, TimeUnit.SECONDS));
        source.writeAtSource(BLOCK, fill(BLOCK, 0x66)); // after the copy read block 1
        device.refreshPrecopy();
        source.holdAfterRead.countDown();
        copy.join(10_000);
        source.holdAfterRead = null;
        assertFalse(device.isPresent(1), "a copy that read before the answer must be dropped");

        device.activate(ActivationTrigger.CONTROL);
        assertReadsAsSource(device, source);
    }

    @Test
    void aCopyOnTheWireAtSwitchOverIsNotInstalled() throws Exception {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        source.holdAfterRead = new CountDownLatch(1);
        Thread copy = Thread.ofPlatform().start(() -> {
            try {
                device.copyRun(2, 2);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        assertTrue(source.readTaken.await(10, TimeUnit.SECONDS));
        source.writeAtSource(3L * BLOCK + 5, fill(3, 0x77));
        device.activate(ActivationTrigger.CONTROL);
        source.holdAfterRead.countDown();
        copy.join(10_000);
        source.holdAfterRead = null;
        assertFalse(device.isPresent(3));
        assertReadsAsSource(device, source);
    }

    @Test
    void aSourceThatCannotTrackIsRefusedWithAReason() throws IOException {
        TestSource source = source();
        source.tracks = false;
        String message = assertThrows(TrackingUnavailableException.class, () -> open(source, StartMode.PRECOPY)).getMessage();
        assertTrue(message.contains("start without pre-copy"), message);
        assertEquals(RelocationState.STANDBY, open(source, StartMode.STANDBY).state(), "plain standby still works");
    }

    @Test
    void startingWithoutPrecopyDropsWhatWasPrecopied() throws IOException {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        copyAll(device);
        device.close();
        RelocatingDevice standby = open(source, StartMode.STANDBY);
        assertEquals(RelocationState.STANDBY, standby.state());
        assertEquals(0, standby.status().presentBlocks());
    }

    @Test
    void aWriteAtTheDestinationEndsPrecopy() throws IOException {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        copyAll(device);
        source.writeAtSource(0, fill(100, 0x12));
        device.write(BLOCK * 6L, ByteBuffer.wrap(fill(10, 0x34)), false);
        assertEquals(RelocationState.ACTIVE, device.state());
        assertEquals(ActivationTrigger.FIRST_WRITE, device.status().trigger());
        assertFalse(device.isPresent(0));
        ByteBuffer head = ByteBuffer.allocate(100);
        device.read(0, head);
        assertArrayEquals(fill(100, 0x12), head.array());
    }

    @Test
    void concurrentSourceWritesDuringPrecopyAreNeverLost() throws Exception {
        long seed = System.nanoTime();
        System.out.println("concurrentSourceWritesDuringPrecopyAreNeverLost seed " + seed);
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        java.util.concurrent.atomic.AtomicBoolean vmRuns = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(0))) {
            copier.start();
            List<Thread> writers = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Random random = new Random(seed + t);
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        // Long enough for the copier to finish passes and run rounds meanwhile.
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
                        while (vmRuns.get() && System.nanoTime() < until) {
                            int offset = random.nextInt(SIZE);
                            int length = 1 + random.nextInt(Math.min(SIZE - offset, 2 * BLOCK));
                            source.writeAtSource(offset, fill(length, 1 + random.nextInt(255)));
                            Thread.sleep(random.nextInt(3));
                        }
                    } catch (IOException | InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread w : writers) {
                w.join(30_000);
            }
            // The VM has stopped at the source: switch-over.
            device.activate(ActivationTrigger.CONTROL);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (device.state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(RelocationState.COMPLETE, device.state(), "seed " + seed);
        }
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        device.read(0, all);
        assertArrayEquals(source.content(), all.array(), "seed " + seed);
    }

    @Test
    void theCopierPrecopiesAndFinishesAfterSwitchOver() throws Exception {
        TestSource source = source();
        RelocatingDevice device = open(source, StartMode.PRECOPY);
        try (BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(0))) {
            copier.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (device.status().presentBlocks() < BLOCKS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(BLOCKS, device.status().presentBlocks(), "pre-copy copies the disk before switch-over");
            source.writeAtSource(BLOCK * 7L, fill(BLOCK, 0x5a));
            device.activate(ActivationTrigger.CONTROL);
            while (device.state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(RelocationState.COMPLETE, device.state());
        }
        assertReadsAsSource(device, source);
    }
}
