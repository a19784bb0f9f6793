package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.Errno;
import io.reloc.nbd.protocol.InfoReply;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.protocol.SimpleReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client against a hand-written server: old and minimal servers it must get along with, and
 * servers that break the protocol, which must end in IO errors and never in wrong bytes.
 */
class FakeServerTest {
    private static final byte[] CONTENT = new byte[1 << 20];

    static {
        new Random(3).nextBytes(CONTENT);
    }

    private final FakeNbdServer server = new FakeNbdServer();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
        server.close();
    }

    private BlockDevice open(String export) throws IOException {
        BlockDevice d = new NbdSourceConnector().open(URI.create("nbd://127.0.0.1:" + server.address().getPort() + "/" + export));
        closing.add(d);
        return d;
    }

    private static ByteBuffer simple(long cookie, int errno, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(SIMPLE_REPLY_HEADER_SIZE + data.length);
        new SimpleReply(errno, cookie).encode(b);
        return b.put(data).flip();
    }

    private static ByteBuffer data(long cookie, boolean done, long offset, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(Chunks.OFFSET_DATA_PREFIX + data.length);
        Chunks.encodeOffsetDataPrefixAt(b, 0, done ? REPLY_FLAG_DONE : 0, cookie, offset, data.length);
        return b.position(Chunks.OFFSET_DATA_PREFIX).put(data).flip();
    }

    private static ByteBuffer hole(long cookie, boolean done, long offset, int size) {
        ByteBuffer b = ByteBuffer.allocate(32);
        Chunks.encodeHole(b, done ? REPLY_FLAG_DONE : 0, cookie, offset, size);
        return b.flip();
    }

    private static ByteBuffer none(long cookie) {
        ByteBuffer b = ByteBuffer.allocate(CHUNK_HEADER_SIZE);
        Chunks.encodeNone(b, cookie);
        return b.flip();
    }

    private static byte[] content(Request r) {
        return Arrays.copyOfRange(CONTENT, (int) r.offset(), (int) (r.offset() + r.length()));
    }

    /** Answers every READ correctly with simple replies. */
    private static final FakeNbdServer.Script SIMPLE_READS = wire -> {
        for (Request r; (r = wire.next()) != null; ) {
            wire.send(simple(r.cookie(), 0, content(r)));
        }
    };

    /** Answers the first READ with {@code reply}, then closes nothing: the client must drop it. */
    private FakeNbdServer.Script firstReadGets(java.util.function.Function<Request, ByteBuffer> reply) {
        return wire -> {
            Request r = wire.next();
            if (r != null) {
                wire.send(reply.apply(r));
            }
            while (wire.next() != null) {
                // keep the connection open until the client drops it
            }
        };
    }

    private void assertReadFailsWithIo(String messagePart) throws Exception {
        BlockDevice d = open("disk");
        ByteBuffer dst = ByteBuffer.allocate(4096);
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(8192, dst));
        assertEquals(BlockError.IO, e.error(), e.getMessage());
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        assertEquals(0, dst.position(), "a failed read must not advance the buffer");
        // The connection is dropped for good: later reads fail too, without asking the server.
        assertEquals(BlockError.IO, assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(1))).error());
    }

    @Test
    void replyWithUnknownCookie() throws Exception {
        server.script = firstReadGets(r -> data(r.cookie() + 1000, true, r.offset(), content(r)));
        server.start();
        assertReadFailsWithIo("unknown cookie");
    }

    @Test
    void chunkWithBadMagic() throws Exception {
        server.script = firstReadGets(r -> {
            ByteBuffer b = data(r.cookie(), true, r.offset(), content(r));
            return b.putInt(0, 0xdeadbeef);
        });
        server.start();
        assertReadFailsWithIo("bad reply magic 0xdeadbeef");
    }

    @Test
    void offsetDataOutsideTheRequestedRange() throws Exception {
        server.script = firstReadGets(r -> data(r.cookie(), true, r.offset() + 512, content(r)));
        server.start();
        assertReadFailsWithIo("outside");
    }

    @Test
    void replyThatCoversOnlyPartOfTheRange() throws Exception {
        server.script = firstReadGets(r -> data(r.cookie(), true, r.offset(), Arrays.copyOf(content(r), 1024)));
        server.start();
        assertReadFailsWithIo("covered only 1024 bytes");
    }

    @Test
    void overlappingChunks() throws Exception {
        server.script = firstReadGets(r -> {
            ByteBuffer a = data(r.cookie(), false, r.offset(), content(r));
            ByteBuffer b = data(r.cookie(), true, r.offset(), new byte[16]);
            return ByteBuffer.allocate(a.remaining() + b.remaining()).put(a).put(b).flip();
        });
        server.start();
        assertReadFailsWithIo("overlaps");
    }

    @Test
    void truncatedReply() throws Exception {
        server.script = wire -> {
            Request r = wire.next();
            ByteBuffer b = data(r.cookie(), true, r.offset(), content(r));
            wire.send(b.limit(b.limit() / 2));
            throw new IOException("hang up in the middle of the reply");
        };
        server.start();
        assertReadFailsWithIo("closed the connection");
    }

    @Test
    void holesReadAsZeroesAndDataLandsInPlace() throws Exception {
        server.script = wire -> {
            for (Request r; (r = wire.next()) != null; ) {
                // Out of order within the range: second half first, then a hole for the first half.
                int half = (int) r.length() / 2;
                byte[] c = content(r);
                wire.send(data(r.cookie(), false, r.offset() + half, Arrays.copyOfRange(c, half, c.length)));
                wire.send(hole(r.cookie(), false, r.offset(), half));
                wire.send(none(r.cookie()));
            }
        };
        server.start();
        BlockDevice d = open("disk");
        ByteBuffer dst = ByteBuffer.allocate(4096);
        Arrays.fill(dst.array(), (byte) 0x55);
        d.read(8192, dst);
        byte[] expected = Arrays.copyOfRange(CONTENT, 8192, 8192 + 4096);
        Arrays.fill(expected, 0, 2048, (byte) 0);
        assertArrayEquals(expected, dst.array());
    }

    @Test
    void repliesOutOfOrderReachTheirCallers() throws Exception {
        // 64 KiB payloads split the read below in four; each pair of requests is answered in reverse.
        server.blockSize = new InfoReply.BlockSize(1, 4096, 65536);
        server.script = wire -> {
            while (true) {
                Request a = wire.next();
                Request b = a == null ? null : wire.next();
                if (b == null) {
                    return;
                }
                wire.send(data(b.cookie(), true, b.offset(), content(b)));
                wire.send(data(a.cookie(), true, a.offset(), content(a)));
            }
        };
        server.start();
        BlockDevice d = open("disk");
        ByteBuffer dst = ByteBuffer.allocate(4 * 65536);
        d.read(4096, dst);
        assertArrayEquals(Arrays.copyOfRange(CONTENT, 4096, 4096 + 4 * 65536), dst.array());
    }

    @Test
    void multiConnServerGetsSeveralConnectionsUsedInTurn() throws Exception {
        server.flags |= TF_CAN_MULTI_CONN;
        java.util.Set<Thread> servingThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        server.script = wire -> {
            for (Request r; (r = wire.next()) != null; ) {
                servingThreads.add(Thread.currentThread());
                wire.send(data(r.cookie(), true, r.offset(), content(r)));
            }
        };
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        d.awaitConnections();
        assertEquals(NbdUri.DEFAULT_CONNECTIONS, d.connectionCount());
        for (int i = 0; i < 8; i++) {
            ByteBuffer dst = ByteBuffer.allocate(1000);
            d.read(i * 1000L, dst);
            assertArrayEquals(Arrays.copyOfRange(CONTENT, i * 1000, i * 1000 + 1000), dst.array());
        }
        assertEquals(NbdUri.DEFAULT_CONNECTIONS, servingThreads.size(), "every connection served reads");
        NbdSourceDevice two = (NbdSourceDevice) open("disk?connections=2");
        two.awaitConnections();
        assertEquals(2, two.connectionCount());
    }

    @Test
    void withoutMultiConnOneConnection() throws Exception {
        server.script = SIMPLE_READS;
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk?connections=8");
        d.awaitConnections();
        assertEquals(1, d.connectionCount());
        assertEquals(1, server.options.stream().filter("GO"::equals).count());
    }

    /** Holds each extra connection's GO until {@code extras} of them wait at once, or the test gives up. */
    private static FakeNbdServer.BeforeGo extrasMeetAtGo(int extras, java.util.concurrent.atomic.AtomicInteger most) {
        java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(extras);
        java.util.concurrent.atomic.AtomicInteger now = new java.util.concurrent.atomic.AtomicInteger();
        return n -> {
            if (n == 1) {
                return;
            }
            most.accumulateAndGet(now.incrementAndGet(), Math::max);
            waiting.countDown();
            try {
                // Opened one after another, they never meet: each is let go on its own, within the
                // client's handshake timeout, so that the test fails on the count below.
                waiting.await(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IOException(e);
            } finally {
                now.decrementAndGet();
            }
        };
    }

    @Test
    void extraConnectionsHandshakeAtOnce() throws Exception {
        server.flags |= TF_CAN_MULTI_CONN;
        server.script = SIMPLE_READS;
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        server.beforeGo = extrasMeetAtGo(NbdUri.DEFAULT_CONNECTIONS - 1, most);
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        d.awaitConnections();
        assertEquals(NbdUri.DEFAULT_CONNECTIONS - 1, most.get(), "extra handshakes in progress at once");
        assertEquals(NbdUri.DEFAULT_CONNECTIONS, d.connectionCount());
        for (int i = 0; i < 8; i++) {
            ByteBuffer dst = ByteBuffer.allocate(1000);
            d.read(i * 1000L, dst);
            assertArrayEquals(Arrays.copyOfRange(CONTENT, i * 1000, i * 1000 + 1000), dst.array());
        }
    }

    /**
     * Over a WAN an extra connection's handshake takes several round trips: the first connection
     * serves reads meanwhile, and the extras join as they become ready.
     */
    @Test
    void readsDoNotWaitForTheExtraConnections() throws Exception {
        server.flags |= TF_CAN_MULTI_CONN;
        server.script = SIMPLE_READS;
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        server.beforeGo = n -> {
            try {
                if (n > 1 && !release.await(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IOException("not released");
                }
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        };
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        assertEquals(1, d.connectionCount(), "extras still in their handshake");
        for (int i = 0; i < 4; i++) {
            ByteBuffer dst = ByteBuffer.allocate(1000);
            d.read(i * 1000L, dst);
            assertArrayEquals(Arrays.copyOfRange(CONTENT, i * 1000, i * 1000 + 1000), dst.array());
        }
        release.countDown();
        d.awaitConnections();
        assertEquals(NbdUri.DEFAULT_CONNECTIONS, d.connectionCount());
    }

    /** Closed while its extras are still in their handshakes: none of them stays open or joins. */
    @Test
    void closingWhileTheExtrasOpenLeavesNoneOpen() throws Exception {
        server.flags |= TF_CAN_MULTI_CONN;
        server.script = SIMPLE_READS;
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(NbdUri.DEFAULT_CONNECTIONS - 1);
        server.beforeGo = n -> {
            if (n > 1) {
                held.countDown();
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        };
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        boolean allHeld;
        try {
            allHeld = held.await(10, java.util.concurrent.TimeUnit.SECONDS);
            d.close();
            d.awaitConnections();
        } finally {
            release.countDown();
        }
        assertTrue(allHeld, "every extra connection was in its handshake when the device was closed");
        assertEquals(1, d.connectionCount(), "no extra joined a closed device");
        awaitAllEnded();
    }

    @Test
    void refusedOrDifferentExtraConnectionsAreDoneWithout() throws Exception {
        server.flags |= TF_CAN_MULTI_CONN;
        server.script = SIMPLE_READS;
        // The second connection accepted is dropped at GO, the third is told another size.
        long size = server.size;
        server.beforeGo = n -> {
            if (n == 2) {
                throw new IOException("dropped");
            }
        };
        server.sizeOf = n -> n == 3 ? size / 2 : size;
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        d.awaitConnections();
        assertEquals(NbdUri.DEFAULT_CONNECTIONS - 2, d.connectionCount());
        for (NbdConnection c : d.connections()) {
            assertEquals(size, c.negotiated().size());
        }
        for (int i = 0; i < 8; i++) {
            ByteBuffer dst = ByteBuffer.allocate(1000);
            d.read(i * 1000L, dst);
            assertArrayEquals(Arrays.copyOfRange(CONTENT, i * 1000, i * 1000 + 1000), dst.array());
        }
        d.close();
        awaitAllEnded();
    }

    /** Waits until the server saw every connection it accepted end: the client left none open. */
    private void awaitAllEnded() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.ended.get() < server.acceptedCount.get() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(server.acceptedCount.get(), server.ended.get(), "connections that ended at the server");
    }

    @Test
    void anInterruptedReaderGetsIoAndItsBufferIsLeftAlone() throws Exception {
        java.util.concurrent.CountDownLatch received = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        server.script = wire -> {
            Request held = wire.next();
            received.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            wire.send(data(held.cookie(), true, held.offset(), content(held)));
            for (Request r; (r = wire.next()) != null; ) {
                wire.send(data(r.cookie(), true, r.offset(), content(r)));
            }
        };
        server.start();
        BlockDevice d = open("disk");
        ByteBuffer abandoned = ByteBuffer.allocate(4096);
        java.util.concurrent.atomic.AtomicReference<Throwable> outcome = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean stillInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                d.read(0, abandoned);
            } catch (Throwable t) {
                outcome.set(t);
            }
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        received.await();
        reader.interrupt();
        reader.join();
        BlockDeviceException e = (BlockDeviceException) outcome.get();
        assertEquals(BlockError.IO, e.error());
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        assertTrue(stillInterrupted.get(), "the interrupt flag is kept");
        answer.countDown();
        // The late reply is read and dropped; the connection goes on.
        ByteBuffer next = ByteBuffer.allocate(4096);
        d.read(4096, next);
        assertArrayEquals(Arrays.copyOfRange(CONTENT, 4096, 8192), next.array());
        assertArrayEquals(new byte[4096], abandoned.array(), "the late reply was written into an abandoned buffer");
    }

    @Test
    void aSilentServerCountsAsLost() throws Exception {
        server.script = wire -> {
            while (wire.next() != null) {
                // reads requests and never answers, as a server behind a dead link
            }
        };
        server.start();
        NbdSourceDevice d = closeLater(NbdSourceDevice.open(
                NbdUri.parse(URI.create("nbd://127.0.0.1:" + server.address().getPort() + "/disk")), Duration.ofMillis(300)));
        ByteBuffer dst = ByteBuffer.allocate(512);
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(0, dst));
        assertEquals(BlockError.IO, e.error());
        assertTrue(e.getMessage().contains("sent nothing for 300 ms"), e.getMessage());
        assertEquals(0, dst.position());
    }

    @Test
    void aSlowButTalkingServerIsWaitedFor() throws Exception {
        server.script = wire -> {
            for (Request r; (r = wire.next()) != null; ) {
                // Trickles a 64 KiB reply out over more than a second, longer than the 500 ms timeout,
                // with gaps far shorter than it.
                ByteBuffer reply = data(r.cookie(), true, r.offset(), content(r));
                while (reply.hasRemaining()) {
                    ByteBuffer piece = reply.slice(reply.position(), Math.min(2048, reply.remaining()));
                    wire.send(piece);
                    reply.position(reply.position() + piece.remaining());
                    try {
                        Thread.sleep(40);
                    } catch (InterruptedException x) {
                        throw new IOException(x);
                    }
                }
            }
        };
        server.start();
        NbdSourceDevice d = closeLater(NbdSourceDevice.open(
                NbdUri.parse(URI.create("nbd://127.0.0.1:" + server.address().getPort() + "/disk")), Duration.ofMillis(500)));
        ByteBuffer dst = ByteBuffer.allocate(64 << 10);
        d.read(0, dst);
        assertArrayEquals(Arrays.copyOf(CONTENT, 64 << 10), dst.array());
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    @Test
    void closeSaysGoodbyeWithDisc() throws Exception {
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        server.script = wire -> {
            try {
                SIMPLE_READS.serve(wire);
            } finally {
                ended.countDown();
            }
        };
        server.start();
        BlockDevice d = open("disk");
        d.read(0, ByteBuffer.allocate(10));
        d.close();
        d.close();
        ended.await();
        assertEquals(1, server.disconnects.get());
        assertEquals(BlockError.IO, assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(1))).error());
    }

    @Test
    void unlimitedMaximumPayloadAndOddPreferredSizeAreTamed() throws Exception {
        server.blockSize = new InfoReply.BlockSize(512, 3000, 0xffffffff);
        server.script = SIMPLE_READS;
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        assertEquals(new io.reloc.api.BlockSizes(512, 4096, 1 << 30), d.blockSizes());
        ByteBuffer dst = ByteBuffer.allocate(CONTENT.length - 1);
        d.read(1, dst);
        assertArrayEquals(Arrays.copyOfRange(CONTENT, 1, CONTENT.length), dst.array());
    }

    @Test
    void impossibleMinimumBlockSizeIsAProtocolError() throws Exception {
        server.blockSize = new InfoReply.BlockSize(3, 4096, 65536);
        server.start();
        IOException e = assertThrows(IOException.class, () -> open("disk"));
        assertTrue(e.getMessage().contains("minimum block size 3"), e.getMessage());
    }

    @Test
    void serverErrorChunksMapToDeviceErrors() throws Exception {
        server.script = wire -> {
            for (Request r; (r = wire.next()) != null; ) {
                int errno = r.offset() == 0 ? Errno.EINVAL : r.offset() == 512 ? Errno.EIO : Errno.ENOSPC;
                ByteBuffer b = ByteBuffer.allocate(Chunks.errorSize("nope"));
                Chunks.encodeError(b, REPLY_FLAG_DONE, r.cookie(), errno, "nope");
                wire.send(b.flip());
            }
        };
        server.start();
        BlockDevice d = open("disk");
        BlockDeviceException invalid = assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(512)));
        assertEquals(BlockError.INVALID, invalid.error());
        assertTrue(invalid.getMessage().contains("EINVAL (nope)"), invalid.getMessage());
        assertEquals(BlockError.IO, assertThrows(BlockDeviceException.class, () -> d.read(512, ByteBuffer.allocate(512))).error());
        assertEquals(BlockError.NO_SPACE, assertThrows(BlockDeviceException.class, () -> d.read(1024, ByteBuffer.allocate(512))).error());
    }

    @Test
    void everyOptionLeavesBeforeTheFirstReply() throws Exception {
        server.repliesAfterGo = true;
        server.script = SIMPLE_READS;
        server.start();
        NbdSourceDevice d = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                () -> (NbdSourceDevice) open("disk"), "a client that waits for each reply never sends GO");
        assertEquals(List.of("STRUCTURED_REPLY", "SET_META_CONTEXT", "RELOC_CHANNEL", "GO"), server.options.subList(0, 4));
        assertTrue(d.negotiated().structuredReplies());
        assertEquals(7, d.negotiated().allocationContext());
        assertEquals("", d.negotiated().channelCodec(), "a foreign server refuses the channel");
        assertReadsContent(d, 5000, 1000);
    }

    private static void assertReadsContent(BlockDevice d, int offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        d.read(offset, dst);
        assertArrayEquals(Arrays.copyOfRange(CONTENT, offset, offset + length), dst.array());
    }

    @Test
    void optionsThatNeedStructuredRepliesAreIgnoredWhenTheyWereRefused() throws Exception {
        // A lenient server: it refuses structured replies but grants what depends on them.
        server.structured = false;
        server.channelCodec = "zstd";
        server.script = SIMPLE_READS;
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        assertEquals(false, d.negotiated().structuredReplies());
        assertEquals(-1, d.negotiated().allocationContext());
        assertEquals("", d.negotiated().channelCodec());
        assertReadsContent(d, 0, 1000);
    }

    @Test
    void oldServerWithoutGoOrStructuredRepliesGetsExportName() throws Exception {
        server.go = false;
        server.structured = false;
        server.greeting = new io.reloc.nbd.protocol.Greeting(FLAG_FIXED_NEWSTYLE).encode().array(); // no NO_ZEROES
        server.script = SIMPLE_READS;
        server.start();
        NbdSourceDevice d = (NbdSourceDevice) open("disk");
        assertEquals(CONTENT.length, d.size());
        assertEquals(false, d.negotiated().structuredReplies());
        ByteBuffer dst = ByteBuffer.allocate(100_000);
        d.read(12345, dst);
        assertArrayEquals(Arrays.copyOfRange(CONTENT, 12345, 12345 + 100_000), dst.array());
        assertEquals(List.of(Extent.data(777)), d.extents(0, 777));
        assertTrue(server.options.contains("EXPORT_NAME"), server.options.toString());
    }

    @Test
    void oldServerWithoutTheExportClosesTheConnection() throws Exception {
        server.go = false;
        server.start();
        IOException e = assertThrows(IOException.class, () -> open("nope"));
        assertTrue(e.getMessage().contains("has no export 'nope'"), e.getMessage());
    }

    @Test
    void blockStatusBecomesExtents() throws Exception {
        server.script = wire -> {
            for (Request r; (r = wire.next()) != null; ) {
                assertEquals(CMD_BLOCK_STATUS, r.type());
                ByteBuffer b = ByteBuffer.allocate(Chunks.blockStatusSize(3));
                // Longer than asked: the client clips it.
                Chunks.encodeBlockStatus(b, REPLY_FLAG_DONE, r.cookie(), 7,
                        List.of(Extent.data(4096), Extent.hole(8192), new Extent(1 << 20, false, true)));
                wire.send(b.flip());
            }
        };
        server.start();
        BlockDevice d = open("disk");
        assertEquals(List.of(Extent.data(4096), Extent.hole(8192), new Extent(100, false, true)), d.extents(0, 4096 + 8192 + 100));
        assertEquals(List.of(Extent.data(10)), d.extents(0, 10));
    }

    @Test
    void unknownExportListsWhatTheServerOffers() throws Exception {
        server.exports = List.of("a", "", "b");
        server.start();
        IOException e = assertThrows(IOException.class, () -> open("x"));
        assertTrue(e.getMessage().contains("has no export 'x'; it offers: a, '' (the default), b"), e.getMessage());
    }

    @Test
    void tlsRequiredSaysSo() throws Exception {
        server.tlsRequired = true;
        server.start();
        IOException e = assertThrows(IOException.class, () -> open("disk"));
        assertTrue(e.getMessage().contains("requires TLS"), e.getMessage());
    }

    @Test
    void somethingThatIsNotAnNbdServer() throws Exception {
        try (ServerSocket http = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = http.accept()) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                } catch (IOException e) {
                    // the client hung up
                }
            });
            IOException e = assertThrows(IOException.class,
                    () -> new NbdSourceConnector().open(URI.create("nbd://127.0.0.1:" + http.getLocalPort() + "/disk")));
            assertTrue(e.getMessage().contains("is not an NBD server"), e.getMessage());
        }
    }

    @Test
    void aServerThatDiesFailsEveryPendingRead() throws Exception {
        java.util.concurrent.CountDownLatch received = new java.util.concurrent.CountDownLatch(3);
        server.script = wire -> {
            while (wire.next() != null) {
                received.countDown();
            }
        };
        server.start();
        BlockDevice d = open("disk");
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<?>> reads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                long at = i * 4096L;
                reads.add(pool.submit(() -> {
                    d.read(at, ByteBuffer.allocate(4096));
                    return null;
                }));
            }
            received.await();
            server.close();
            for (var f : reads) {
                var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(30, java.util.concurrent.TimeUnit.SECONDS));
                assertEquals(BlockError.IO, ((BlockDeviceException) e.getCause()).error());
            }
        }
    }
}
