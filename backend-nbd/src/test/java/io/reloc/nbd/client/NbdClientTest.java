package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.BlockSizes;
import io.reloc.api.Export;
import io.reloc.api.Extent;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.api.ZeroFlag;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.testing.FakeDevice;
import io.reloc.nbd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The NBD source connector against reloc's own NBD server, in process over loopback. */
class NbdClientTest {
    private static final Plugins PLUGINS = Plugins.load();

    private final ExportRegistry exports = new ExportRegistry();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private FrontEnd server;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private void serve() throws IOException {
        server = PLUGINS.frontEnds().get("nbd").create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)), exports);
        server.start();
    }

    private BlockDevice open(String export) throws IOException {
        BlockDevice d = PLUGINS.sourceConnectors().get("nbd").open(uri(server.localAddress(), export));
        closing.add(d);
        return d;
    }

    static URI uri(InetSocketAddress address, String export) {
        return URI.create("nbd://127.0.0.1:" + address.getPort() + "/" + export);
    }

    static byte[] random(Random random, int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    private static MemoryBlockStore memory(byte[] content) throws IOException {
        MemoryBlockStore m = new MemoryBlockStore(content.length);
        m.write(0, ByteBuffer.wrap(content), false);
        return m;
    }

    static byte[] read(BlockDevice d, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        d.read(offset, b);
        assertEquals(length, b.position());
        return b.array();
    }

    static byte[] slice(byte[] b, long offset, int length) {
        return java.util.Arrays.copyOfRange(b, (int) offset, (int) offset + length);
    }

    @Test
    void readsAtOddOffsetsEqualTheStore() throws Exception {
        long seed = System.nanoTime();
        System.out.println("readsAtOddOffsetsEqualTheStore seed " + seed);
        Random random = new Random(seed);
        byte[] content = random(random, 3 << 20);
        exports.add(new Export("disk", "", memory(content)));
        serve();
        BlockDevice d = open("disk");
        assertEquals(content.length, d.size());
        assertTrue(d.isReadOnly());
        assertArrayEquals(slice(content, 0, 1), read(d, 0, 1), "seed " + seed);
        assertArrayEquals(slice(content, content.length - 1, 1), read(d, content.length - 1, 1), "seed " + seed);
        assertEquals(0, read(d, 17, 0).length);
        for (int i = 0; i < 200; i++) {
            int length = 1 + random.nextInt(random.nextBoolean() ? 600 : 200_000);
            long offset = random.nextLong(content.length - length + 1);
            assertArrayEquals(slice(content, offset, length), read(d, offset, length), "seed " + seed + " read " + i);
        }
    }

    @Test
    void readIntoTheMiddleOfABufferAdvancesOnlyItsPosition() throws Exception {
        byte[] content = random(new Random(1), 8192);
        exports.add(new Export("disk", "", memory(content)));
        serve();
        BlockDevice d = open("disk");
        ByteBuffer b = ByteBuffer.allocate(100).position(10).limit(60);
        d.read(1000, b);
        assertEquals(60, b.position());
        assertArrayEquals(slice(content, 1000, 50), java.util.Arrays.copyOfRange(b.array(), 10, 60));
        assertEquals(0, b.array()[9]);
        assertEquals(0, b.array()[60]);
    }

    @Test
    void bigAndUnalignedReadsRespectTheServerBlockSizes() throws Exception {
        long seed = System.nanoTime();
        System.out.println("bigAndUnalignedReadsRespectTheServerBlockSizes seed " + seed);
        Random random = new Random(seed);
        byte[] content = random(random, 4 << 20);
        FakeDevice disk = new FakeDevice(content.length, false);
        disk.write(0, ByteBuffer.wrap(content), false);
        disk.blockSizes = new BlockSizes(512, 4096, 64 * 1024);
        exports.add(new Export("disk", "", disk));
        serve();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        assertEquals(new BlockSizes(512, 4096, 64 * 1024), d.blockSizes());
        // The server refuses payloads over 64 KiB and unaligned requests: success means splitting and aligning.
        assertArrayEquals(content, read(d, 0, content.length));
        for (int i = 0; i < 50; i++) {
            int length = 1 + random.nextInt(300_000);
            long offset = random.nextLong(content.length - length + 1);
            assertArrayEquals(slice(content, offset, length), read(d, offset, length), "seed " + seed + " read " + i);
        }
    }

    @Test
    void concurrentReadersShareOneConnection() throws Exception {
        long seed = System.nanoTime();
        System.out.println("concurrentReadersShareOneConnection seed " + seed);
        byte[] content = random(new Random(seed), 8 << 20);
        exports.add(new Export("disk", "", memory(content)));
        serve();
        BlockDevice d = open("disk");
        int threads = 16;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(seed + t);
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 150; i++) {
                        int length = 1 + random.nextInt(random.nextBoolean() ? 4096 : 1 << 20);
                        long offset = random.nextLong(content.length - length + 1);
                        assertArrayEquals(slice(content, offset, length), read(d, offset, length),
                                "seed " + seed + " thread " + thread + " read " + i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void interruptingOneCallerLeavesTheSharedConnectionAlone() throws Exception {
        long seed = System.nanoTime();
        System.out.println("interruptingOneCallerLeavesTheSharedConnectionAlone seed " + seed);
        byte[] content = random(new Random(seed), 4 << 20);
        exports.add(new Export("disk", "", memory(content)));
        serve();
        BlockDevice d = open("disk");
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger interrupted = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Throwable> victimFailure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread victim = Thread.ofPlatform().uncaughtExceptionHandler((t, e) -> victimFailure.set(e)).start(() -> {
            Random random = new Random(seed);
            while (!stop.get()) {
                int length = 1 + random.nextInt(200_000);
                long offset = random.nextLong(content.length - length + 1);
                ByteBuffer b = ByteBuffer.allocate(length);
                try {
                    d.read(offset, b);
                    assertArrayEquals(slice(content, offset, length), b.array(), "seed " + seed);
                } catch (BlockDeviceException e) {
                    assertEquals(BlockError.IO, e.error());
                    assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                    interrupted.incrementAndGet();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                Thread.interrupted();
            }
        });
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Random random = new Random(seed + 1 + t);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 300; i++) {
                        int length = 1 + random.nextInt(100_000);
                        long offset = random.nextLong(content.length - length + 1);
                        assertArrayEquals(slice(content, offset, length), read(d, offset, length), "seed " + seed);
                        if (i % 3 == 0) {
                            victim.interrupt();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            victim.join();
        }
        if (victimFailure.get() != null) {
            throw new AssertionError("the interrupted reader failed", victimFailure.get());
        }
        System.out.println(interrupted.get() + " interrupted reads");
        assertArrayEquals(slice(content, 5, 5000), read(d, 5, 5000));
    }

    @Test
    void extentsMatchTheFileStoreAfterWritesAndHoles(@TempDir Path dir) throws Exception {
        long size = 8 << 20;
        BlockDevice file = PLUGINS.stores().get("file").open(new StoreSpec(Optional.of(dir.resolve("disk.img")), OptionalLong.of(size), false));
        closing.add(file);
        byte[] data = random(new Random(2), 1 << 20);
        file.write(0, ByteBuffer.wrap(data), false);
        file.write(3 << 20, ByteBuffer.wrap(data), false);
        file.write(6 << 20, ByteBuffer.wrap(data), false);
        file.trim(3 << 20, 512 << 10, false);
        file.writeZeroes(6 << 20, 256 << 10, Set.of());
        file.flush();
        exports.add(new Export("disk", "", file));
        serve();
        BlockDevice d = open("disk");
        assertEquals(map(file, 0, size), map(d, 0, size));
        assertEquals(map(file, 4096, 5 << 20), map(d, 4096, 5 << 20));
        assertTrue(map(d, 0, size).stream().anyMatch(Extent::hole), "the server reported no hole at all");
        List<Extent> one = d.extents(3 << 20, 100);
        assertEquals(List.of(Extent.hole(100)), one);
    }

    /** The extents of a range, adjacent extents of the same kind merged, asked until covered. */
    static List<Extent> map(BlockDevice d, long offset, long length) throws IOException {
        List<Extent> merged = new ArrayList<>();
        long at = offset;
        while (at < offset + length) {
            List<Extent> some = d.extents(at, offset + length - at);
            assertTrue(!some.isEmpty(), "no extents at " + at);
            for (Extent e : some) {
                Extent last = merged.isEmpty() ? null : merged.getLast();
                if (last != null && last.hole() == e.hole() && last.zero() == e.zero()) {
                    merged.set(merged.size() - 1, new Extent(last.length() + e.length(), e.hole(), e.zero()));
                } else {
                    merged.add(e);
                }
                at += e.length();
            }
        }
        assertEquals(offset + length, at, "extents overshoot the range");
        return merged;
    }

    @Test
    void unknownExportNamesTheExportsOnOffer() throws Exception {
        exports.add(new Export("a", "", new MemoryBlockStore(4096)));
        exports.add(new Export("b", "", new MemoryBlockStore(4096)));
        serve();
        IOException e = assertThrows(IOException.class, () -> open("x"));
        int port = server.localAddress().getPort();
        assertTrue(e.getMessage().contains("server 127.0.0.1:" + port + " has no export 'x'; it offers: a, b"), e.getMessage());
    }

    @Test
    void refusedConnectionSaysSo() throws Exception {
        serve();
        InetSocketAddress address = server.localAddress();
        server.close();
        server = null;
        IOException e = assertThrows(IOException.class, () -> PLUGINS.sourceConnectors().get("nbd").open(uri(address, "x")));
        assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + address.getPort()), e.getMessage());
    }

    @Test
    void writesAreRefusedAndRangesChecked() throws Exception {
        exports.add(new Export("disk", "", new MemoryBlockStore(4096)));
        serve();
        BlockDevice d = open("disk");
        assertEquals(BlockError.READ_ONLY, assertThrows(BlockDeviceException.class,
                () -> d.write(0, ByteBuffer.allocate(1), false)).error());
        assertEquals(BlockError.READ_ONLY, assertThrows(BlockDeviceException.class, () -> d.trim(0, 1, false)).error());
        assertEquals(BlockError.READ_ONLY, assertThrows(BlockDeviceException.class,
                () -> d.writeZeroes(0, 1, Set.of(ZeroFlag.NO_HOLE))).error());
        d.flush();
        assertEquals(BlockError.INVALID, assertThrows(BlockDeviceException.class,
                () -> d.read(4000, ByteBuffer.allocate(100))).error());
        assertEquals(BlockError.INVALID, assertThrows(BlockDeviceException.class,
                () -> d.read(-1, ByteBuffer.allocate(1))).error());
    }

    @Test
    void serverErrorsArriveAsDeviceErrors() throws Exception {
        FakeDevice disk = new FakeDevice(1 << 20, false);
        exports.add(new Export("disk", "", disk));
        serve();
        BlockDevice d = open("disk");
        disk.failWith = BlockError.IO;
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(512)));
        assertEquals(BlockError.IO, e.error());
        disk.failWith = BlockError.INVALID;
        assertEquals(BlockError.INVALID, assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(512))).error());
        disk.failWith = null;
        // The connection survives errors the server reports.
        assertEquals(512, read(d, 0, 512).length);
    }

    @Test
    void aServerThatGoesAwayFailsPendingReadsWithIo() throws Exception {
        FakeDevice disk = new FakeDevice(1 << 20, false);
        disk.hold = new CountDownLatch(1);
        disk.heldOffset = 4096;
        // The server gives the held read its close grace period, then drops the connection.
        TestServer ours = new TestServer().export("disk", disk).start();
        try {
            BlockDevice source = PLUGINS.sourceConnectors().get("nbd").open(uri(ours.address(), "disk"));
            closing.add(source);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<byte[]> held = pool.submit(() -> read(source, 4096, 4096));
                Thread.sleep(200); // lets the request reach the server; the outcome is the same if it has not
                ours.close();
                try {
                    byte[] got = held.get(30, TimeUnit.SECONDS);
                    fail("a read on a closed server returned " + got.length + " bytes");
                } catch (java.util.concurrent.ExecutionException e) {
                    BlockDeviceException b = assertInstanceOf(e.getCause());
                    assertEquals(BlockError.IO, b.error());
                }
                BlockDeviceException later = assertThrows(BlockDeviceException.class, () -> source.read(0, ByteBuffer.allocate(1)));
                assertEquals(BlockError.IO, later.error());
            }
        } finally {
            disk.hold.countDown();
            ours.close();
        }
    }

    @Test
    void readsRacingAServerShutdownReturnRightBytesOrIo() throws Exception {
        long seed = System.nanoTime();
        System.out.println("readsRacingAServerShutdownReturnRightBytesOrIo seed " + seed);
        byte[] content = random(new Random(seed), 16 << 20);
        exports.add(new Export("disk", "", memory(content)));
        serve();
        BlockDevice d = open("disk");
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Random random = new Random(seed + t);
                done.add(pool.submit(() -> {
                    int failures = 0;
                    for (int i = 0; i < 400; i++) {
                        int length = 1 + random.nextInt(256 << 10);
                        long offset = random.nextLong(content.length - length + 1);
                        ByteBuffer b = ByteBuffer.allocate(length);
                        try {
                            d.read(offset, b);
                            assertArrayEquals(slice(content, offset, length), b.array(), "seed " + seed);
                        } catch (BlockDeviceException e) {
                            assertEquals(BlockError.IO, e.error(), e.getMessage());
                            failures++;
                        }
                    }
                    return failures;
                }));
            }
            Thread.sleep(100);
            server.close();
            server = null;
            int failures = 0;
            for (Future<Integer> f : done) {
                failures += f.get(120, TimeUnit.SECONDS);
            }
            System.out.println(failures + " reads failed with IO after the server closed");
        }
    }

    private static BlockDeviceException assertInstanceOf(Throwable t) {
        if (t instanceof BlockDeviceException b) {
            return b;
        }
        throw new AssertionError("expected a BlockDeviceException, got " + t, t);
    }
}
