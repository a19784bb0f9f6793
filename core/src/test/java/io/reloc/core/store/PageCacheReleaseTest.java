package io.reloc.core.store;

import io.reloc.core.store.LinuxFiles.ErrnoException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PageCacheReleaseTest {
    @TempDir
    Path dir;

    /** Records the calls a {@link PageCacheRelease} makes, failing with {@code errno} when it is not 0. */
    private static final class Recorder implements PageCacheRelease.Calls {
        final List<String> calls = new ArrayList<>();
        int errno;

        @Override
        public synchronized void startWriteback(long offset, long length) throws ErrnoException {
            record("start " + offset + "+" + length);
        }

        @Override
        public synchronized void writeAndDrop(long offset, long length) throws ErrnoException {
            record("drop " + offset + "+" + length);
        }

        private void record(String call) throws ErrnoException {
            calls.add(call);
            if (errno != 0) {
                throw new ErrnoException("sync_file_range", errno);
            }
        }
    }

    @Test
    void startsWritebackAtOnceAndDropsTheOldestRangesBeyondTheLag() {
        Recorder recorder = new Recorder();
        PageCacheRelease release = new PageCacheRelease(recorder, 100);
        release.released(0, 60);
        release.released(60, 40);
        assertEquals(List.of("start 0+60", "start 60+40"), recorder.calls, "100 bytes are within the lag");
        release.released(500, 30);
        assertEquals(List.of("start 0+60", "start 60+40", "start 500+30", "drop 0+60"), recorder.calls,
                "130 bytes: the oldest range goes, 70 stay");
        release.released(1000, 200);
        assertEquals(List.of("start 1000+200", "drop 60+40", "drop 500+30", "drop 1000+200"),
                recorder.calls.subList(4, 8), "a range larger than the lag goes at once, after the older ones");
    }

    @Test
    void aLagOfZeroReleasesNothing() {
        Recorder recorder = new Recorder();
        PageCacheRelease release = new PageCacheRelease(recorder, 0);
        for (int i = 0; i < 100; i++) {
            release.released(i * 4096L, 4096);
        }
        assertEquals(List.of(), recorder.calls);
    }

    @Test
    void anUnsupportedCallIsNotTriedAgainButAnIoErrorIs() {
        Recorder unsupported = new Recorder();
        unsupported.errno = LinuxFiles.ENOSYS;
        PageCacheRelease once = new PageCacheRelease(unsupported, 10);
        for (int i = 0; i < 5; i++) {
            once.released(i * 10L, 10);
        }
        assertEquals(List.of("start 0+10"), unsupported.calls, "ENOSYS: the kernel cannot do it, so no more tries");

        Recorder failing = new Recorder();
        failing.errno = 5; // EIO: the next fdatasync reports it; the hint goes on being followed
        PageCacheRelease again = new PageCacheRelease(failing, 10);
        for (int i = 0; i < 5; i++) {
            again.released(i * 10L, 10);
        }
        assertEquals(5, failing.calls.size());
    }

    /**
     * On a real file: what the store was told it need not keep leaves the page cache (as
     * {@code fincore} counts it), what it was not told stays, and the data reads back unchanged.
     */
    @Test
    void aStoreDropsReleasedRangesFromThePageCacheAndKeepsTheirData() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/fincore")), "needs fincore (util-linux)");
        assumeFalse(Files.getFileStore(dir).type().equals("tmpfs"), "tmpfs pages are the file: they cannot be dropped");
        int mib = 64;
        byte[] data = new byte[mib << 20];
        ThreadLocalRandom.current().nextBytes(data);
        Path kept = dir.resolve("kept.img");
        Path released = dir.resolve("released.img");
        for (Path path : List.of(kept, released)) {
            try (FileBlockStore store = FileBlockStore.open(path, OptionalLong.of(data.length), false)) {
                for (int offset = 0; offset < data.length; offset += 1 << 20) {
                    store.write(offset, ByteBuffer.allocateDirect(1 << 20).put(0, data, offset, 1 << 20), false);
                    if (path == released) {
                        store.dontNeed(offset, 1 << 20);
                    }
                }
                store.flush();
            }
        }
        long keptResident = residentBytes(kept);
        long releasedResident = residentBytes(released);
        assertEquals((long) data.length, keptResident, "a file written without the hint stays in memory");
        assertTrue(releasedResident <= PageCacheRelease.DEFAULT_LAG + (1 << 20),
                "at most the lag stays in memory: " + releasedResident + " bytes of " + data.length);
        try (FileBlockStore store = FileBlockStore.open(released, OptionalLong.empty(), true)) {
            ByteBuffer back = ByteBuffer.allocateDirect(data.length);
            store.read(0, back);
            byte[] read = new byte[data.length];
            back.flip().get(read);
            assertArrayEquals(data, read);
        }
    }

    @Test
    void aStoreRefusesAnOutOfRangeHint() throws IOException {
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("disk.img"), OptionalLong.of(1 << 20), false)) {
            assertThrows(IOException.class, () -> store.dontNeed(1 << 20, 4096));
            store.dontNeed(0, 1 << 20);
        }
    }

    private static long residentBytes(Path file) throws Exception {
        Process fincore = new ProcessBuilder("fincore", "--bytes", "--noheadings", "--output", "RES", file.toString())
                .redirectErrorStream(true).start();
        String out = new String(fincore.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(fincore.waitFor(10, TimeUnit.SECONDS) && fincore.exitValue() == 0, "fincore failed: " + out);
        return Long.parseLong(out);
    }
}
