package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FileBlockStoreTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void createsASparseFileOfTheRequestedSize() throws IOException {
        Path file = dir.resolve("disk.img");
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(64L * MIB), false)) {
            assertEquals(64L * MIB, store.size());
            assertEquals(64L * MIB, Files.size(file));
            assertEquals(0, allocatedBlocks(file), "a new store must not allocate its size");
            assertEquals(List.of(Extent.hole(64L * MIB)), store.extents(0, 64L * MIB));
        }
    }

    @Test
    void extendsASmallerFileAndNeverShrinksALargerOne() throws IOException {
        Path file = dir.resolve("disk.img");
        Files.write(file, "hello".getBytes(StandardCharsets.US_ASCII));
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(10_000), false)) {
            assertEquals(10_000, store.size());
            assertArrayEquals("hello\0".getBytes(StandardCharsets.US_ASCII), read(store, 0, 6));
        }
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(100), false)) {
            assertEquals(10_000, store.size());
        }
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.empty(), true)) {
            assertEquals(10_000, store.size());
        }
    }

    @Test
    void roundTripsAtOddOffsetsWithDirectAndHeapBuffers() throws IOException {
        Random random = new Random(1);
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(8L * MIB + 7), false)) {
            byte[] small = bytes(random, 1001);
            store.write(4093, ByteBuffer.wrap(small), false);
            assertArrayEquals(small, read(store, 4093, 1001));
            assertArrayEquals(small, readDirect(store, 4093, 1001));

            // Larger than the bounce buffer, so the heap path goes round its loop.
            byte[] large = bytes(random, 3 * MIB + 17);
            ByteBuffer heap = ByteBuffer.wrap(large);
            store.write(MIB + 3, heap, false);
            assertEquals(large.length, heap.position(), "write must consume its buffer");
            assertArrayEquals(large, readDirect(store, MIB + 3, large.length));
            assertArrayEquals(large, read(store, MIB + 3, large.length));

            ByteBuffer direct = ByteBuffer.allocateDirect(5555).put(bytes(random, 5555)).flip();
            store.write(store.size() - 5555, direct, true);
            assertEquals(5555, direct.position());
            assertArrayEquals(copy(direct.flip()), read(store, store.size() - 5555, 5555));

            // A read into the middle of a larger buffer fills just position..limit.
            ByteBuffer window = ByteBuffer.allocate(100).position(10).limit(60);
            store.read(4093, window);
            assertEquals(60, window.position());
            byte[] array = window.array();
            assertEquals(0, array[9]);
            assertEquals(small[0], array[10]);
            assertEquals(small[49], array[59]);
            assertEquals(0, array[60]);
        }
    }

    @Test
    void readOnlyDirectBuffersAreWritten() throws IOException {
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(4096), false)) {
            ByteBuffer src = ByteBuffer.allocateDirect(3).put(new byte[] {1, 2, 3}).flip().asReadOnlyBuffer();
            store.write(5, src, false);
            assertArrayEquals(new byte[] {1, 2, 3}, read(store, 5, 3));
        }
    }

    @Test
    void dataSurvivesFlushAndReopen() throws IOException {
        Path file = dir.resolve("d");
        byte[] data = bytes(new Random(2), 12_345);
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(MIB), false)) {
            store.write(777, ByteBuffer.wrap(data), true);
            store.write(100_000, ByteBuffer.wrap(data), false);
            store.flush();
        }
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.empty(), true)) {
            assertArrayEquals(data, read(store, 777, data.length));
            assertArrayEquals(data, read(store, 100_000, data.length));
            store.flush();
        }
    }

    @Test
    void trimReadsZeroesAndReleasesSpace() throws IOException {
        Path file = dir.resolve("d");
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(8L * MIB), false)) {
            store.write(0, ByteBuffer.wrap(bytes(new Random(3), 8 * MIB)), false);
            store.flush();
            long before = allocatedBlocks(file);
            assertTrue(before >= 8 * MIB / 512, "written file allocates its data: " + before);

            store.trim(2L * MIB, 4L * MIB, false);
            assertArrayEquals(new byte[4 * MIB], read(store, 2L * MIB, 4 * MIB));
            long after = allocatedBlocks(file);
            assertTrue(after <= before - 4 * MIB / 512, "trim must release 4 MiB: " + before + " -> " + after);

            // Unaligned: the partial blocks at the ends are zeroed, the rest is released.
            store.writeZeroes(100, 5000, Set.of(ZeroFlag.FUA));
            assertArrayEquals(new byte[5000], read(store, 100, 5000));
        }
    }

    @Test
    void writeZeroesWithNoHoleKeepsTheRangeAllocated() throws IOException {
        Path file = dir.resolve("d");
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(4L * MIB), false)) {
            store.write(0, ByteBuffer.wrap(bytes(new Random(4), 4 * MIB)), false);
            store.flush();
            long before = allocatedBlocks(file);
            store.writeZeroes(MIB, 2L * MIB, EnumSet.of(ZeroFlag.NO_HOLE, ZeroFlag.FAST_ONLY));
            assertArrayEquals(new byte[2 * MIB], read(store, MIB, 2 * MIB));
            assertEquals(before, allocatedBlocks(file));
            assertTrue(store.extents(0, 4L * MIB).stream().noneMatch(Extent::hole));
        }
    }

    @Test
    void withoutZeroRangeFastZeroesAreRefusedAndSlowOnesWritten() throws IOException {
        // tmpfs punches holes but has no FALLOC_FL_ZERO_RANGE.
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "needs a writable /dev/shm (tmpfs)");
        Path file = Files.createTempFile(shm, "reloc-test", ".img");
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(MIB), false)) {
            store.write(0, ByteBuffer.wrap(bytes(new Random(5), MIB)), false);
            BlockDeviceException e = assertThrows(BlockDeviceException.class,
                    () -> store.writeZeroes(4096, 8192, EnumSet.of(ZeroFlag.NO_HOLE, ZeroFlag.FAST_ONLY)));
            assertEquals(BlockError.NOT_SUPPORTED, e.error());
            store.writeZeroes(4096, 8192, EnumSet.of(ZeroFlag.NO_HOLE));
            assertArrayEquals(new byte[8192], read(store, 4096, 8192));
            store.writeZeroes(65536, 65536, EnumSet.of(ZeroFlag.FAST_ONLY));
            assertArrayEquals(new byte[65536], read(store, 65536, 65536));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void extentsFollowTheFileLayout() throws IOException {
        long size = 8L * MIB;
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(size), false)) {
            store.write(MIB, ByteBuffer.wrap(new byte[MIB]), false);
            store.write(5L * MIB, ByteBuffer.allocate(4096), false);
            assertEquals(List.of(Extent.hole(MIB), Extent.data(MIB), Extent.hole(3L * MIB), Extent.data(4096),
                    Extent.hole(3L * MIB - 4096)), store.extents(0, size));
            // A request starting inside an extent and ending inside another is clipped at both ends.
            assertEquals(List.of(Extent.data(MIB / 2), Extent.hole(1000)), store.extents(MIB + MIB / 2, MIB / 2 + 1000));
            assertEquals(List.of(Extent.hole(10)), store.extents(size - 10, 10));
            assertEquals(List.of(), store.extents(0, 0));

            store.trim(MIB, 512 * 1024, false);
            assertEquals(List.of(Extent.hole(MIB + 512 * 1024), Extent.data(512 * 1024), Extent.hole(3L * MIB),
                    Extent.data(4096), Extent.hole(3L * MIB - 4096)), store.extents(0, size));
        }
    }

    @Test
    void extentsAreCappedPerCall() throws IOException {
        int blocks = 2 * FileBlockStore.MAX_EXTENTS + 100;
        long size = blocks * 8192L;
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(size), false)) {
            for (int i = 0; i < blocks; i++) {
                store.write(i * 8192L, ByteBuffer.wrap(new byte[] {1}), false);
            }
            List<Extent> first = store.extents(0, size);
            assertEquals(FileBlockStore.MAX_EXTENTS, first.size());
            assertEquals(Extent.data(4096), first.get(0));
            assertEquals(Extent.hole(4096), first.get(1));
            long covered = first.stream().mapToLong(Extent::length).sum();
            assertEquals(FileBlockStore.MAX_EXTENTS * 4096L, covered);
        }
    }

    @Test
    void concurrentWritersToDisjointRangesAllLand() throws Exception {
        int threads = 8;
        int stripe = 64 * 1024 + 3;
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of((long) threads * stripe), false);
                ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<byte[]>> last = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                last.add(pool.submit(() -> {
                    Random random = new Random(id);
                    byte[] data = new byte[stripe];
                    for (int round = 0; round < 50; round++) {
                        random.nextBytes(data);
                        ByteBuffer src = round % 2 == 0 ? ByteBuffer.wrap(data)
                                : ByteBuffer.allocateDirect(stripe).put(data).flip();
                        store.write((long) id * stripe, src, round % 10 == 0);
                        if (round % 7 == 0) {
                            store.flush();
                        }
                        if (round % 5 == 0) {
                            store.extents(0, store.size());
                        }
                    }
                    return data;
                }));
            }
            for (int t = 0; t < threads; t++) {
                assertArrayEquals(last.get(t).get(), read(store, (long) t * stripe, stripe), "stripe " + t);
            }
        }
    }

    @Test
    void anInterruptedCallerDoesNotCloseTheStore() throws IOException {
        // A FileChannel would close itself here; the store must keep serving other requests.
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(4096), false)) {
            Thread.currentThread().interrupt();
            try {
                store.write(0, ByteBuffer.wrap(new byte[] {9}), true);
                assertArrayEquals(new byte[] {9}, read(store, 0, 1));
            } finally {
                Thread.interrupted();
            }
            assertArrayEquals(new byte[] {9}, readDirect(store, 0, 1));
        }
    }

    @Test
    void readOnlyStoresRefuseChanges() throws IOException {
        Path file = dir.resolve("d");
        Files.write(file, new byte[8192]);
        try (FileBlockStore store = FileBlockStore.open(file, OptionalLong.empty(), true)) {
            assertTrue(store.isReadOnly());
            assertError(BlockError.READ_ONLY, () -> store.write(0, ByteBuffer.allocate(1), false));
            assertError(BlockError.READ_ONLY, () -> store.trim(0, 4096, false));
            assertError(BlockError.READ_ONLY, () -> store.writeZeroes(0, 4096, Set.of()));
            assertArrayEquals(new byte[8192], read(store, 0, 8192));
        }
        IOException e = assertThrows(IOException.class, () -> FileBlockStore.open(file, OptionalLong.of(10_000), true));
        assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }

    @Test
    void outOfRangeRequestsAreInvalid() throws IOException {
        try (FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(4096), false)) {
            assertError(BlockError.INVALID, () -> store.read(4000, ByteBuffer.allocate(97)));
            assertError(BlockError.INVALID, () -> store.read(-1, ByteBuffer.allocate(1)));
            assertError(BlockError.INVALID, () -> store.write(4096, ByteBuffer.allocate(1), false));
            assertError(BlockError.INVALID, () -> store.trim(0, 4097, false));
            assertError(BlockError.INVALID, () -> store.writeZeroes(Long.MAX_VALUE, 1, Set.of()));
            assertError(BlockError.INVALID, () -> store.extents(1, 4096));
            store.read(4096, ByteBuffer.allocate(0));
        }
    }

    @Test
    void closedStoresRefuseEverythingAndCloseTwice() throws IOException {
        FileBlockStore store = FileBlockStore.open(dir.resolve("d"), OptionalLong.of(4096), false);
        store.close();
        store.close();
        assertError(BlockError.SHUTDOWN, () -> store.read(0, ByteBuffer.allocate(1)));
        assertError(BlockError.SHUTDOWN, () -> store.write(0, ByteBuffer.allocate(1), false));
        assertError(BlockError.SHUTDOWN, store::flush);
        assertError(BlockError.SHUTDOWN, () -> store.extents(0, 1));
    }

    @Test
    void badPathsGetMessagesThatNameThem() throws IOException {
        Path missing = dir.resolve("missing.img");
        IOException e = assertThrows(IOException.class, () -> FileBlockStore.open(missing, OptionalLong.empty(), false));
        assertTrue(e.getMessage().startsWith("no such file: " + missing), e.getMessage());

        e = assertThrows(IOException.class, () -> FileBlockStore.open(dir, OptionalLong.empty(), false));
        assertTrue(e.getMessage().contains(dir + " is a directory"), e.getMessage());

        e = assertThrows(IOException.class, () -> FileBlockStore.open(Path.of("/dev/null"), OptionalLong.empty(), true));
        assertTrue(e.getMessage().contains("neither a regular file nor a block device"), e.getMessage());

        Path locked = dir.resolve("locked.img");
        Files.write(locked, new byte[512]);
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        assumeTrue(!Files.isReadable(locked), "running as root: permissions are not enforced");
        e = assertThrows(IOException.class, () -> FileBlockStore.open(locked, OptionalLong.empty(), true));
        assertTrue(e.getMessage().startsWith("permission denied: " + locked), e.getMessage());
    }

    static void assertError(BlockError expected, Executable call) {
        BlockDeviceException e = assertThrows(BlockDeviceException.class, call);
        assertEquals(expected, e.error(), e.getMessage());
    }

    static byte[] read(BlockDevice store, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        store.read(offset, buffer);
        assertEquals(length, buffer.position());
        return buffer.array();
    }

    static byte[] readDirect(BlockDevice store, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(length);
        store.read(offset, buffer);
        return copy(buffer.flip());
    }

    private static byte[] copy(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static byte[] bytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** 512-byte blocks the file system allocates to {@code file}, from stat(1). */
    static long allocatedBlocks(Path file) throws IOException {
        Process process = new ProcessBuilder("stat", "--format=%b", file.toString()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        try {
            if (process.waitFor() != 0) {
                throw new IOException("stat failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return Long.parseLong(out);
    }
}
