package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Export;
import io.reloc.api.Extent;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.store.MemoryBlockStore;
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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The initiator against Reloc's own target, in process. */
class IscsiSourceDeviceTest {
    private static final String IQN = "iqn.2026-11.io.reloc:disk0";
    private static final int SIZE = 8 << 20;

    @TempDir
    Path dir;
    private final Plugins plugins = Plugins.load();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    private String serve(BlockDevice device, Map<String, String> options) throws IOException {
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk0", "", device));
        FrontEnd target = plugins.frontEnds().get("iscsi").create(
                new FrontEndConfig(new InetSocketAddress("127.0.0.1", 0), options), exports);
        target.start();
        closeables.add(target);
        return "127.0.0.1:" + target.localAddress().getPort();
    }

    private BlockDevice open(String uri) throws IOException {
        BlockDevice d = plugins.sourceConnectors().get("iscsi").open(URI.create(uri));
        closeables.add(d);
        return d;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private MemoryBlockStore filled(long seed) throws IOException {
        MemoryBlockStore store = new MemoryBlockStore(SIZE);
        store.write(0, ByteBuffer.wrap(random(SIZE, seed)), false);
        return store;
    }

    @Test
    void sizeAndReadsAtOddOffsetsEqualTheStore() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        byte[] content = random(SIZE, seed);
        MemoryBlockStore store = new MemoryBlockStore(SIZE);
        store.write(0, ByteBuffer.wrap(content), false);
        BlockDevice d = open("iscsi://" + serve(store, Map.of()) + "/" + IQN + "/0");
        assertEquals(SIZE, d.size());
        assertTrue(d.isReadOnly());
        Random r = new Random(seed);
        long[][] cases = {{0, SIZE}, {1, 1}, {511, 2}, {SIZE - 1, 1}, {3, 3 << 20}, {SIZE - 1000, 1000}};
        List<long[]> all = new ArrayList<>(List.of(cases));
        for (int i = 0; i < 50; i++) {
            long off = r.nextInt(SIZE);
            all.add(new long[] {off, 1 + r.nextInt((int) Math.min(SIZE - off, 300_000))});
        }
        for (long[] c : all) {
            ByteBuffer dst = ByteBuffer.allocate((int) c[1]);
            d.read(c[0], dst);
            assertEquals(dst.limit(), dst.position());
            byte[] expected = java.util.Arrays.copyOfRange(content, (int) c[0], (int) (c[0] + c[1]));
            assertArrayEquals(expected, dst.array(), "read of " + c[1] + " at " + c[0] + " (seed " + seed + ")");
        }
    }

    @Test
    void concurrentReadersGetTheirOwnData() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        byte[] content = random(SIZE, seed);
        MemoryBlockStore store = new MemoryBlockStore(SIZE);
        store.write(0, ByteBuffer.wrap(content), false);
        BlockDevice d = open("iscsi://" + serve(store, Map.of()) + "/" + IQN + "/0");
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long threadSeed = seed + t;
                futures.add(pool.submit(() -> {
                    Random r = new Random(threadSeed);
                    for (int i = 0; i < 100; i++) {
                        int off = r.nextInt(SIZE);
                        int len = 1 + r.nextInt(Math.min(SIZE - off, 200_000));
                        ByteBuffer dst = ByteBuffer.allocate(len);
                        d.read(off, dst);
                        assertArrayEquals(java.util.Arrays.copyOfRange(content, off, off + len), dst.array(),
                                "read of " + len + " at " + off + " (seed " + seed + ")");
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
    }

    @Test
    void outOfRangeReadsAreInvalid() throws Exception {
        BlockDevice d = open("iscsi://" + serve(filled(1), Map.of()) + "/" + IQN + "/0");
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(SIZE - 1, ByteBuffer.allocate(2)));
        assertEquals(BlockError.INVALID, e.error());
    }

    @Test
    void targetLbaOutOfRangeBecomesInvalidWithTheDecodedSense() throws Exception {
        IscsiSourceDevice d = (IscsiSourceDevice) open("iscsi://" + serve(filled(1), Map.of()) + "/" + IQN + "/0");
        // Past the device's own range check, straight to the target.
        IscsiSession session = sessionOf(d);
        ScsiCheckCondition e = assertThrows(ScsiCheckCondition.class,
                () -> session.execute("READ(16)", Cdbs.read16(SIZE / 512, 1), 512, true));
        assertEquals(BlockError.INVALID, e.error());
        assertTrue(e.getMessage().contains("logical block address out of range"), e.getMessage());
        // The session is still usable after a command failed.
        d.read(0, ByteBuffer.allocate(512));
    }

    private static IscsiSession sessionOf(IscsiSourceDevice d) throws Exception {
        var f = IscsiSourceDevice.class.getDeclaredField("session");
        f.setAccessible(true);
        return (IscsiSession) f.get(d);
    }

    @Test
    void extentsMatchHolesPunchedInAFileStore() throws Exception {
        Path file = dir.resolve("disk0.img");
        try (var f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        BlockDevice store = plugins.stores().get("file").open(StoreSpec.file(file, false));
        closeables.add(store);
        store.write(0, ByteBuffer.wrap(random(SIZE, 7)), false);
        store.trim(1 << 20, 1 << 20, false);
        store.trim(4 << 20, 2 << 20, false);
        BlockDevice d = open("iscsi://" + serve(store, Map.of()) + "/" + IQN + "/0");
        List<Extent> expected = new ArrayList<>();
        for (long at = 0; at < SIZE; ) {
            List<Extent> part = store.extents(at, SIZE - at);
            expected.addAll(part);
            at += part.stream().mapToLong(Extent::length).sum();
        }
        List<Extent> got = new ArrayList<>();
        for (long at = 0; at < SIZE; ) {
            List<Extent> part = d.extents(at, SIZE - at);
            got.addAll(part);
            at += part.stream().mapToLong(Extent::length).sum();
        }
        assertEquals(merge(expected), merge(got));
        assertTrue(merge(got).contains(new Extent(1 << 20, true, true)), got.toString());
        // A range inside a hole, at an unaligned offset: data up to the block boundary, then the hole.
        assertEquals(List.of(Extent.data(412)), d.extents((1 << 20) + 100, 1000));
        assertEquals(List.of(new Extent(4096, true, true)), d.extents(1 << 20, 4096));
    }

    private static List<Extent> merge(List<Extent> extents) {
        List<Extent> out = new ArrayList<>();
        for (Extent e : extents) {
            if (!out.isEmpty() && out.getLast().hole() == e.hole() && out.getLast().zero() == e.zero()) {
                Extent last = out.removeLast();
                out.add(new Extent(last.length() + e.length(), e.hole(), e.zero()));
            } else {
                out.add(e);
            }
        }
        return out;
    }

    @Test
    void chapWithTheRightSecretReads() throws Exception {
        String portal = serve(filled(3), Map.of("chap-user", "joe", "chap-secret", "s3cret-s3cret"));
        BlockDevice d = open("iscsi://joe%25s3cret-s3cret@" + portal + "/" + IQN + "/0");
        ByteBuffer dst = ByteBuffer.allocate(4096);
        d.read(0, dst);
        assertArrayEquals(java.util.Arrays.copyOf(random(SIZE, 3), 4096), dst.array());
    }

    @Test
    void chapWithAWrongSecretOrNoneIsAnAuthenticationFailure() throws Exception {
        String portal = serve(filled(3), Map.of("chap-user", "joe", "chap-secret", "s3cret-s3cret"));
        IOException wrong = assertThrows(IOException.class,
                () -> open("iscsi://joe%25wrong-secret@" + portal + "/" + IQN + "/0"));
        assertTrue(wrong.getMessage().contains("authentication failure"), wrong.getMessage());
        IOException none = assertThrows(IOException.class, () -> open("iscsi://" + portal + "/" + IQN + "/0"));
        assertTrue(none.getMessage().contains("authentication failure"), none.getMessage());
    }

    @Test
    void unknownTargetListsWhatThePortalOffers() throws Exception {
        String portal = serve(filled(1), Map.of());
        IOException e = assertThrows(IOException.class,
                () -> open("iscsi://" + portal + "/iqn.2026-11.io.reloc:nope/0"));
        assertTrue(e.getMessage().contains("target not found"), e.getMessage());
        assertTrue(e.getMessage().contains("the portal offers: " + IQN), e.getMessage());
    }

    @Test
    void unreachablePortalIsNamed() throws Exception {
        java.net.ServerSocket s = new java.net.ServerSocket(0);
        int port = s.getLocalPort();
        s.close();
        IOException e = assertThrows(IOException.class, () -> open("iscsi://127.0.0.1:" + port + "/" + IQN + "/0"));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
    }

    @Test
    void closeLogsOutAndLaterReadsFailWithIo() throws Exception {
        BlockDevice d = plugins.sourceConnectors().get("iscsi").open(
                URI.create("iscsi://" + serve(filled(1), Map.of()) + "/" + IQN + "/0"));
        d.read(0, ByteBuffer.allocate(512));
        d.close();
        d.close();
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(512)));
        assertEquals(BlockError.IO, e.error());
    }
}
