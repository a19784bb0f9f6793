package io.reloc.core.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link FileBlockStore#writeUncached} on real files: the data is written as by {@code write},
 * and it does not stay in the page cache (as {@code fincore} counts it), whether it went straight
 * to disk (an aligned direct buffer) or through the page cache and was dropped after (a heap
 * buffer), while a plain write stays there.
 */
class UncachedWriteTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private enum How { WRITE, UNCACHED_ALIGNED, UNCACHED_HEAP }

    @Test
    void uncachedWritesLeaveThePageCacheAndKeepTheirData() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/fincore")), "needs fincore (util-linux)");
        assumeFalse(Files.getFileStore(dir).type().equals("tmpfs"), "tmpfs pages are the file: they cannot be dropped");
        long seed = System.nanoTime();
        System.out.println("UncachedWriteTest seed " + seed);
        byte[] data = new byte[64 * MIB];
        new Random(seed).nextBytes(data);
        boolean direct;
        try (DirectWrites probe = DirectWrites.open(Files.createFile(dir.resolve("probe")))) {
            direct = probe.active();
        } catch (IOException e) {
            direct = false;
        }
        for (How how : How.values()) {
            Path path = dir.resolve(how + ".img");
            try (Arena arena = Arena.ofConfined();
                 FileBlockStore store = FileBlockStore.open(path, OptionalLong.of(data.length), false)) {
                ByteBuffer aligned = arena.allocate(MIB, DirectWrites.ALIGNMENT).asByteBuffer();
                for (int offset = 0; offset < data.length; offset += MIB) {
                    switch (how) {
                        case WRITE -> store.write(offset, aligned.clear().put(0, data, offset, MIB), false);
                        case UNCACHED_ALIGNED -> store.writeUncached(offset, aligned.clear().put(0, data, offset, MIB));
                        case UNCACHED_HEAP -> store.writeUncached(offset, ByteBuffer.wrap(data, offset, MIB));
                    }
                }
                store.flush();
            }
            long resident = residentBytes(path);
            switch (how) {
                case WRITE -> assertEquals(data.length, resident, "a plain write stays in memory");
                case UNCACHED_ALIGNED -> assertTrue(resident <= (direct ? MIB : PageCacheRelease.DEFAULT_LAG + MIB),
                        (direct ? "written direct" : "no O_DIRECT here") + ", yet " + resident + " bytes are in memory");
                case UNCACHED_HEAP -> assertTrue(resident <= PageCacheRelease.DEFAULT_LAG + MIB,
                        "at most the lag stays in memory: " + resident + " bytes of " + data.length);
            }
            assertArrayEquals(data, readAll(path, data.length), how + ": the data reads back");
        }
    }

    /** With direct writes off (or a file system without them) the store writes through its pages, and nothing is lost. */
    @Test
    void withoutDirectWritesTheDataIsWrittenAllTheSame() throws IOException {
        Path path = dir.resolve("disk.img");
        byte[] data = new byte[4 * MIB];
        new Random(4).nextBytes(data);
        System.setProperty(DirectWrites.PROPERTY, "false");
        try (Arena arena = Arena.ofConfined();
             FileBlockStore store = FileBlockStore.open(path, OptionalLong.of(data.length), false)) {
            ByteBuffer aligned = arena.allocate(data.length, DirectWrites.ALIGNMENT).asByteBuffer();
            store.writeUncached(0, aligned.put(0, data));
            assertEquals(data.length, aligned.position(), "the whole buffer is consumed");
            store.flush();
        } finally {
            System.clearProperty(DirectWrites.PROPERTY);
        }
        assertArrayEquals(data, readAll(path, data.length));
    }

    @Test
    void anOutOfRangeOrReadOnlyUncachedWriteIsRefused() throws IOException {
        Path path = dir.resolve("disk.img");
        try (FileBlockStore store = FileBlockStore.open(path, OptionalLong.of(MIB), false)) {
            assertThrows(IOException.class, () -> store.writeUncached(MIB, ByteBuffer.allocateDirect(4096)));
            store.writeUncached(0, ByteBuffer.allocateDirect(MIB));
        }
        try (FileBlockStore store = FileBlockStore.open(path, OptionalLong.empty(), true)) {
            assertThrows(IOException.class, () -> store.writeUncached(0, ByteBuffer.allocateDirect(4096)));
        }
    }

    private static byte[] readAll(Path path, int length) throws IOException {
        try (FileBlockStore store = FileBlockStore.open(path, OptionalLong.empty(), true)) {
            ByteBuffer back = ByteBuffer.allocateDirect(length);
            store.read(0, back);
            byte[] read = new byte[length];
            back.flip().get(read);
            return read;
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
