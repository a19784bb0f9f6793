package io.reloc.nbd.server;

import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.Errno;
import io.reloc.nbd.testing.FakeDevice;
import io.reloc.nbd.testing.NbdTestClient;
import io.reloc.nbd.testing.NbdTestClient.Reply;
import io.reloc.nbd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransmissionTest {
    private static final int SIZE = 4 << 20;
    private TestServer server;
    private FakeDevice disk;
    private FakeDevice readOnly;

    @BeforeEach
    void start() throws Exception {
        disk = new FakeDevice(SIZE, false);
        readOnly = new FakeDevice(SIZE, true);
        server = new TestServer().export("disk", disk).export("ro", readOnly).start();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private NbdTestClient open(boolean structured) throws Exception {
        return NbdTestClient.open(server.address(), "disk", structured);
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @ParameterizedTest(name = "structured={0}")
    @ValueSource(booleans = {false, true})
    void writeThenReadBack(boolean structured) throws Exception {
        try (NbdTestClient c = open(structured)) {
            byte[] data = pattern(65536, 1);
            assertEquals(0, c.write(4096, data, 0));
            Reply r = c.call(CMD_READ, 0, 4096, data.length, null);
            assertEquals(0, r.error());
            assertEquals(structured, r.structured());
            assertArrayEquals(data, r.data());
            assertArrayEquals(Arrays.copyOfRange(data, 1, 101), c.read(4097, 100));
            c.disconnect();
        }
    }

    @Test
    void structuredReadIsOneDataChunkAndHonoursDf() throws Exception {
        try (NbdTestClient c = open(true)) {
            c.write(0, pattern(8192, 2), 0);
            Reply r = c.call(CMD_READ, CMD_FLAG_DF, 0, 8192, null);
            assertEquals(0, r.error());
            assertEquals(1, r.chunks());
            assertArrayEquals(pattern(8192, 2), r.data());
        }
    }

    @Test
    void dfWithoutStructuredRepliesIsInvalid() throws Exception {
        try (NbdTestClient c = open(false)) {
            assertEquals(Errno.EINVAL, c.call(CMD_READ, CMD_FLAG_DF, 0, 512, null).error());
        }
    }

    @Test
    void zeroLengthReadSucceeds() throws Exception {
        try (NbdTestClient c = open(true)) {
            Reply r = c.call(CMD_READ, 0, 0, 0, null);
            assertEquals(0, r.error());
            assertEquals(0, r.data().length);
        }
    }

    @Test
    void fuaWriteReachesTheDeviceWithFua() throws Exception {
        try (NbdTestClient c = open(false)) {
            assertEquals(0, c.write(512, new byte[512], CMD_FLAG_FUA));
            assertTrue(disk.calls.contains("write 512 512 fua"), disk.calls.toString());
        }
    }

    @Test
    void flushTrimZeroAndCache() throws Exception {
        try (NbdTestClient c = open(false)) {
            c.write(0, pattern(16384, 3), 0);
            assertEquals(0, c.flush());
            assertEquals(1, disk.flushes.get());
            assertEquals(0, c.call(CMD_TRIM, CMD_FLAG_FUA, 0, 4096, null).error());
            assertEquals(0, c.call(CMD_WRITE_ZEROES, CMD_FLAG_NO_HOLE | CMD_FLAG_FUA, 4096, 4096, null).error());
            assertEquals(0, c.call(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 8192, 4096, null).error());
            assertEquals(0, c.call(CMD_CACHE, 0, 0, 65536, null).error());
            assertArrayEquals(new byte[12288], c.read(0, 12288));
            assertArrayEquals(Arrays.copyOfRange(pattern(16384, 3), 12288, 16384), c.read(12288, 4096));
            assertTrue(disk.calls.containsAll(List.of("trim 0 4096 fua", "zero 4096 4096 [FUA, NO_HOLE]",
                    "zero 8192 4096 [FAST_ONLY]", "cache 0 65536")), disk.calls.toString());
        }
    }

    @Test
    void fastZeroRefusedByTheDeviceIsNotSupported() throws Exception {
        try (NbdTestClient c = open(false)) {
            disk.failWith = BlockError.NOT_SUPPORTED;
            assertEquals(Errno.ENOTSUP, c.call(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 0, 4096, null).error());
        }
    }

    @Test
    void zeroesAreWrittenAsDataWhenTheDeviceCannotZeroAndFastZeroWasNotAsked() throws Exception {
        try (NbdTestClient c = open(false)) {
            c.write(0, pattern(3 << 20, 6), 0);
            disk.cannotZero = true;
            assertEquals(Errno.ENOTSUP, c.call(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, 0, 4096, null).error());
            assertArrayEquals(Arrays.copyOf(pattern(3 << 20, 6), 4096), c.read(0, 4096));
            assertEquals(0, c.call(CMD_WRITE_ZEROES, 0, 100, (2 << 20) + 5, null).error());
            byte[] expected = pattern(3 << 20, 6);
            Arrays.fill(expected, 100, 100 + (2 << 20) + 5, (byte) 0);
            assertArrayEquals(expected, c.read(0, 3 << 20));
        }
    }

    @Test
    void blockStatusReportsTheDevicesExtents() throws Exception {
        disk.extents = List.of(Extent.data(4096), Extent.hole(8192), new Extent(4096, false, true));
        try (NbdTestClient c = open(true)) {
            Reply r = c.call(CMD_BLOCK_STATUS, 0, 0, 16384, null);
            assertEquals(0, r.error());
            assertEquals(List.of(new Chunks.Descriptor(4096, 0), new Chunks.Descriptor(8192, STATE_HOLE | STATE_ZERO),
                    new Chunks.Descriptor(4096, STATE_ZERO)), r.blockStatus().descriptors());
            Reply one = c.call(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, 0, 16384, null);
            assertEquals(List.of(new Chunks.Descriptor(4096, 0)), one.blockStatus().descriptors());
            // Extents past the requested length are cut.
            Reply cut = c.call(CMD_BLOCK_STATUS, 0, 0, 6000, null);
            assertEquals(List.of(new Chunks.Descriptor(4096, 0), new Chunks.Descriptor(1904, 3)), cut.blockStatus().descriptors());
        }
    }

    @Test
    void blockStatusWithoutAContextIsInvalid() throws Exception {
        try (NbdTestClient c = open(false)) {
            assertEquals(Errno.EINVAL, c.call(CMD_BLOCK_STATUS, 0, 0, 4096, null).error());
        }
    }

    @Test
    void normalizeAlwaysReturnsAtLeastOneExtent() {
        assertEquals(List.of(Extent.data(100)), Connection.normalize(List.of(), 100, false));
        assertEquals(List.of(Extent.hole(100)), Connection.normalize(List.of(Extent.hole(1L << 40)), 100, false));
    }

    @ParameterizedTest(name = "structured={0}")
    @ValueSource(booleans = {false, true})
    void readOnlyExportRefusesWritesWithEperm(boolean structured) throws Exception {
        try (NbdTestClient c = NbdTestClient.open(server.address(), "ro", structured)) {
            assertTrue((c.transmissionFlags() & TF_READ_ONLY) != 0);
            assertEquals(0, c.transmissionFlags() & (TF_SEND_TRIM | TF_SEND_WRITE_ZEROES));
            assertEquals(Errno.EPERM, c.write(0, new byte[4096], 0));
            assertEquals(Errno.EPERM, c.call(CMD_TRIM, 0, 0, 4096, null).error());
            assertEquals(Errno.EPERM, c.call(CMD_WRITE_ZEROES, 0, 0, 4096, null).error());
            assertArrayEquals(new byte[4096], c.read(0, 4096));
            assertEquals(0, c.flush());
            assertTrue(readOnly.calls.stream().noneMatch(s -> s.startsWith("write")), readOnly.calls.toString());
        }
    }

    @Test
    void deviceErrorsMapToErrno() throws Exception {
        Map<BlockError, Integer> expected = Map.of(BlockError.IO, 5, BlockError.NO_SPACE, 28, BlockError.INVALID, 22,
                BlockError.READ_ONLY, 1, BlockError.NOT_SUPPORTED, 95, BlockError.SHUTDOWN, 108);
        try (NbdTestClient simple = open(false); NbdTestClient structured = open(true)) {
            for (BlockError e : BlockError.values()) {
                disk.failWith = e;
                assertEquals(expected.get(e), simple.write(0, new byte[512], 0), e.name());
                assertEquals(expected.get(e), simple.call(CMD_READ, 0, 0, 512, null).error(), e.name());
                Reply r = structured.call(CMD_READ, 0, 0, 512, null);
                assertEquals(expected.get(e), r.error(), e.name());
                assertTrue(r.message().contains("injected"), r.message());
            }
            disk.failWith = null;
            disk.crashWith = new IllegalStateException("bug");
            assertEquals(Errno.EIO, simple.flush());
            disk.crashWith = null;
            assertEquals(0, simple.flush());
        }
    }

    @Test
    void flushOnOneConnectionCoversWritesOfAnother() throws Exception {
        try (NbdTestClient a = open(true); NbdTestClient b = open(false)) {
            assertTrue((a.transmissionFlags() & TF_CAN_MULTI_CONN) != 0);
            byte[] data = pattern(4096, 4);
            assertEquals(0, a.write(8192, data, 0));
            assertEquals(0, b.flush());
            // The device saw the write complete before the flush it was covered by.
            int write = disk.calls.indexOf("write 8192 4096");
            int flush = disk.calls.indexOf("flush");
            assertTrue(write >= 0 && flush > write, disk.calls.toString());
            assertArrayEquals(data, b.read(8192, 4096));
        }
    }

    @Test
    void repliesMayComeOutOfOrder() throws Exception {
        disk.heldOffset = 0;
        disk.hold = new CountDownLatch(1);
        try (NbdTestClient c = open(true)) {
            long slow = c.send(CMD_READ, 0, 0, 512, null);
            long fast = c.send(CMD_READ, 0, 4096, 512, null);
            Reply first = c.readReply();
            assertEquals(fast, first.cookie());
            disk.hold.countDown();
            assertEquals(slow, c.readReply().cookie());
        }
    }

    @Test
    void manyRequestsInFlight() throws Exception {
        long seed = System.nanoTime();
        System.out.println("manyRequestsInFlight seed=" + seed);
        Random random = new Random(seed);
        int count = 1000;
        try (NbdTestClient c = open(random.nextBoolean())) {
            Map<Long, byte[]> expected = new HashMap<>();
            Map<Long, Integer> offsets = new HashMap<>();
            List<Long> cookies = new ArrayList<>();
            // Distinct 4 KiB slots, so that writes never overlap.
            for (int i = 0; i < count; i++) {
                byte[] data = new byte[4096];
                random.nextBytes(data);
                long cookie = c.send(CMD_WRITE, 0, (long) i * 4096, 4096, data);
                expected.put(cookie, data);
                offsets.put(cookie, i * 4096);
                cookies.add(cookie);
            }
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < count; i++) {
                Reply r = c.readReply();
                assertEquals(0, r.error());
                assertTrue(seen.add(r.cookie()), "cookie answered twice: " + r.cookie());
            }
            assertEquals(new HashSet<>(cookies), seen);
            List<Long> reads = new ArrayList<>();
            Map<Long, Long> readToWrite = new HashMap<>();
            for (long w : cookies) {
                long r = c.send(CMD_READ, 0, offsets.get(w), 4096, null);
                reads.add(r);
                readToWrite.put(r, w);
            }
            for (int i = 0; i < count; i++) {
                Reply r = c.readReply();
                assertEquals(0, r.error());
                assertArrayEquals(expected.get(readToWrite.get(r.cookie())), r.data(), "seed " + seed);
            }
            c.disconnect();
        }
    }

    @Test
    void manyClientsOnManyExportsAtOnce() throws Exception {
        long seed = System.nanoTime();
        System.out.println("manyClientsOnManyExportsAtOnce seed=" + seed);
        FakeDevice second = new FakeDevice(SIZE, false);
        server.exports.add(new io.reloc.api.Export("second", "", second));
        int clients = 16;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < clients; i++) {
            int id = i;
            threads.add(Thread.ofVirtual().start(() -> {
                Random random = new Random(seed + id);
                String export = id % 2 == 0 ? "disk" : "second";
                try (NbdTestClient c = NbdTestClient.open(server.address(), export, id % 3 != 0)) {
                    // Each client owns a 64 KiB slice of its export.
                    long base = (long) (id / 2) * 65536;
                    for (int round = 0; round < 20; round++) {
                        byte[] data = new byte[4096 * (1 + random.nextInt(16))];
                        random.nextBytes(data);
                        assertEquals(0, c.write(base, data, round % 2 == 0 ? CMD_FLAG_FUA : 0));
                        assertArrayEquals(data, c.read(base, data.length), "seed " + seed);
                    }
                    assertEquals(0, c.flush());
                    c.disconnect();
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError(failures.size() + " clients failed, seed " + seed, failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    @Test
    void discFinishesRequestsInFlightBeforeClosing() throws Exception {
        try (NbdTestClient c = open(false)) {
            byte[] data = pattern(1 << 20, 5);
            c.send(CMD_WRITE, 0, 0, data.length, data);
            c.send(CMD_DISC, 0, 0, 0, null);
            assertEquals(0, c.readReply().error());
            c.expectClosed();
        }
        try (NbdTestClient c = open(false)) {
            assertArrayEquals(pattern(1 << 20, 5), c.read(0, 1 << 20));
        }
    }

    @Test
    void closingTheServerLetsRequestsInFlightFinish() throws Exception {
        disk.heldOffset = 8192;
        disk.hold = new CountDownLatch(1);
        try (NbdTestClient c = open(true)) {
            c.write(8192, pattern(512, 7), 0);
            long cookie = c.send(CMD_READ, 0, 8192, 512, null);
            Thread closer = Thread.ofVirtual().start(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(200);
            disk.hold.countDown();
            Reply r = c.readReply();
            assertEquals(cookie, r.cookie());
            assertArrayEquals(pattern(512, 7), r.data());
            c.expectClosed();
            closer.join();
        }
    }

    @Test
    void closingTheServerClosesClients() throws Exception {
        NbdTestClient c = open(false);
        assertEquals(0, c.flush());
        server.close();
        c.expectClosed();
        c.close();
    }
}
