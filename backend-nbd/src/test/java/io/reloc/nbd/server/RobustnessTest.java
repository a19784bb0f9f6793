package io.reloc.nbd.server;

import io.reloc.api.BlockSizes;
import io.reloc.nbd.protocol.Errno;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.testing.FakeDevice;
import io.reloc.nbd.testing.NbdTestClient;
import io.reloc.nbd.testing.NbdTestClient.Reply;
import io.reloc.nbd.testing.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input from one client: each case checks the server's answer, and that a well-behaved client
 * connected at the same time keeps working with its acknowledged data intact.
 */
class RobustnessTest {
    private static final int SIZE = 8 << 20;
    private static final int MAX_PAYLOAD = 1 << 20;
    private TestServer server;
    private FakeDevice disk;

    private void start(NbdServerConfig config) throws Exception {
        disk = new FakeDevice(SIZE, false);
        disk.blockSizes = new BlockSizes(1, 4096, MAX_PAYLOAD);
        server = new TestServer(config).export("disk", disk).start();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    interface Misbehaviour {
        void run(NbdTestClient bad) throws Exception;
    }

    /** Runs {@code bad} on a second connection while a good client holds acknowledged data. */
    private void withBystander(boolean structured, Misbehaviour bad) throws Exception {
        if (server == null) {
            start(NbdServerConfig.defaults());
        }
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[] before = new byte[65536];
        random.nextBytes(before);
        try (NbdTestClient good = NbdTestClient.open(server.address(), "disk", true)) {
            assertEquals(0, good.write(0, before, CMD_FLAG_FUA));
            try (NbdTestClient b = NbdTestClient.open(server.address(), "disk", structured)) {
                bad.run(b);
            }
            assertArrayEquals(before, good.read(0, before.length), "seed " + seed);
            byte[] after = new byte[4096];
            random.nextBytes(after);
            assertEquals(0, good.write(65536, after, 0));
            assertEquals(0, good.flush());
            assertArrayEquals(after, good.read(65536, 4096), "seed " + seed);
            good.disconnect();
        }
    }

    @Test
    void wrongRequestMagicClosesOnlyThatConnection() throws Exception {
        withBystander(false, bad -> {
            ByteBuffer b = new Request(0, CMD_READ, 1, 0, 512).encode();
            b.putInt(0, 0xdeadbeef);
            bad.sendRaw(b.array());
            bad.expectClosed();
        });
    }

    @Test
    void unknownFlagsAreInvalid() throws Exception {
        withBystander(true, bad -> {
            assertEquals(Errno.EINVAL, bad.call(CMD_READ, 0x40, 0, 512, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_FLUSH, CMD_FLAG_FUA, 0, 0, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_WRITE, CMD_FLAG_NO_HOLE, 0, 4, new byte[4]).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_FLUSH, 0, 1, 0, null).error());
            // The rejected write's payload was skipped, so the stream is still in step.
            assertEquals(0, bad.flush());
        });
        assertTrue(disk.calls.stream().noneMatch(s -> s.startsWith("write 0 4")), disk.calls.toString());
    }

    @Test
    void unknownCommandIsInvalidAndTheConnectionGoesOn() throws Exception {
        withBystander(false, bad -> {
            assertEquals(Errno.EINVAL, bad.call(99, 0, 0, 0, null).error());
            assertEquals(Errno.EINVAL, bad.call(0xffff, 0, 0, 512, null).error());
            assertEquals(0, bad.flush());
        });
    }

    @Test
    void oversizedReadIsOverflow() throws Exception {
        withBystander(true, bad -> {
            Reply r = bad.call(CMD_READ, 0, 0, MAX_PAYLOAD + 1, null);
            assertEquals(Errno.EOVERFLOW, r.error());
            assertEquals(0, bad.call(CMD_READ, 0, 0, MAX_PAYLOAD, null).error());
        });
    }

    @Test
    void oversizedWriteIsSkippedAndAnsweredOverflow() throws Exception {
        withBystander(false, bad -> {
            byte[] payload = new byte[2 * MAX_PAYLOAD];
            Arrays.fill(payload, (byte) 0x5a);
            assertEquals(Errno.EOVERFLOW, bad.call(CMD_WRITE, 0, 0, payload.length, payload).error());
            assertEquals(0, bad.flush());
        });
        assertTrue(disk.calls.stream().noneMatch(s -> s.startsWith("write 0 " + 2 * MAX_PAYLOAD)), disk.calls.toString());
    }

    @Test
    void absurdlyLargeWriteDisconnects() throws Exception {
        withBystander(false, bad -> {
            bad.sendRaw(new Request(0, CMD_WRITE, 1, 0, 0xffffffffL).encode().array());
            bad.sendRaw(new byte[1000]);
            bad.expectClosed();
        });
    }

    @Test
    void rangesPastTheEnd() throws Exception {
        withBystander(true, bad -> {
            assertEquals(Errno.EINVAL, bad.call(CMD_READ, 0, SIZE - 512, 1024, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_READ, 0, Long.MIN_VALUE, 512, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_READ, 0, -512, 1024, null).error());
            assertEquals(Errno.ENOSPC, bad.call(CMD_WRITE, 0, SIZE, 512, new byte[512]).error());
            assertEquals(Errno.ENOSPC, bad.call(CMD_WRITE_ZEROES, 0, SIZE - 4096, 8192, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_TRIM, 0, SIZE, 1, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_CACHE, 0, SIZE + 1, 0, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_BLOCK_STATUS, 0, SIZE, 1, null).error());
            assertEquals(0, bad.call(CMD_READ, 0, SIZE - 512, 512, null).error());
        });
        assertTrue(disk.calls.stream().noneMatch(s -> s.startsWith("write " + SIZE) || s.startsWith("zero")), disk.calls.toString());
    }

    @Test
    void misalignedRequestsAreInvalidWhenTheDeviceNeedsAlignment() throws Exception {
        start(NbdServerConfig.defaults());
        disk.blockSizes = new BlockSizes(512, 4096, MAX_PAYLOAD);
        withBystander(false, bad -> {
            assertEquals(Errno.EINVAL, bad.call(CMD_READ, 0, 100, 512, null).error());
            assertEquals(Errno.EINVAL, bad.call(CMD_WRITE, 0, 0, 100, new byte[100]).error());
            assertEquals(0, bad.call(CMD_READ, 0, 512, 512, null).error());
        });
    }

    @Test
    void clientVanishingMidWriteWritesNothing() throws Exception {
        withBystander(false, bad -> {
            bad.sendRaw(new Request(0, CMD_WRITE, 1, 1 << 20, 65536).encode().array());
            bad.sendRaw(new byte[30000]);
            bad.socket().close();
        });
        // The server notices the end of the stream; wait until it has dropped the connection.
        awaitConnections(0);
        assertTrue(disk.calls.stream().noneMatch(s -> s.startsWith("write " + (1 << 20))), disk.calls.toString());
    }

    @Test
    void halfSentRequestHeader() throws Exception {
        withBystander(false, bad -> {
            bad.sendRaw(Arrays.copyOf(new Request(0, CMD_READ, 1, 0, 512).encode().array(), 10));
            bad.socket().shutdownOutput();
            bad.expectClosed();
        });
    }

    @Test
    void garbageInsteadOfAHandshake() throws Exception {
        start(NbdServerConfig.defaults());
        try (NbdTestClient good = NbdTestClient.open(server.address(), "disk", true)) {
            byte[] data = new byte[4096];
            new Random(7).nextBytes(data);
            good.write(0, data, 0);
            try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                InputStream in = s.getInputStream();
                in.readNBytes(18);
                try {
                    assertEquals(-1, in.read());
                } catch (java.net.SocketException e) {
                    // Closed with our unread bytes still in its buffer: a reset, which is a close too.
                }
            }
            assertArrayEquals(data, good.read(0, 4096));
        }
    }

    @Test
    void floodOfConnectionsIsBounded() throws Exception {
        start(NbdServerConfig.defaults().withMaxConnections(4));
        try (NbdTestClient good = NbdTestClient.open(server.address(), "disk", false)) {
            byte[] data = new byte[4096];
            new Random(8).nextBytes(data);
            assertEquals(0, good.write(0, data, CMD_FLAG_FUA));
            List<Socket> flood = new ArrayList<>();
            int closedByServer = 0;
            try {
                for (int i = 0; i < 30; i++) {
                    Socket s = new Socket(server.address().getAddress(), server.address().getPort());
                    s.setSoTimeout(2000);
                    flood.add(s);
                }
                for (Socket s : flood) {
                    // Admitted connections get a greeting; refused ones are closed without one.
                    byte[] greeting = s.getInputStream().readNBytes(18);
                    if (greeting.length < 18) {
                        closedByServer++;
                    }
                }
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
            assertEquals(27, closedByServer);
            assertArrayEquals(data, good.read(0, 4096));
            awaitConnections(1);
            try (NbdTestClient late = NbdTestClient.open(server.address(), "disk", true)) {
                assertArrayEquals(data, late.read(0, 4096));
            }
        }
    }

    @Test
    void connectionThatNeverFinishesTheHandshakeIsDropped() throws Exception {
        start(NbdServerConfig.defaults().withHandshakeTimeout(Duration.ofMillis(300)));
        try (NbdTestClient good = NbdTestClient.open(server.address(), "disk", true)) {
            byte[] data = new byte[4096];
            new Random(9).nextBytes(data);
            good.write(0, data, 0);
            try (Socket idle = new Socket(server.address().getAddress(), server.address().getPort())) {
                idle.setSoTimeout(10_000);
                InputStream in = idle.getInputStream();
                assertEquals(18, in.readNBytes(18).length);
                // Send nothing: the server must give up on its own.
                try {
                    assertEquals(-1, in.read());
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("the server kept a silent connection open", e);
                }
            }
            // The good client outlived the timeout without trouble.
            assertArrayEquals(data, good.read(0, 4096));
        }
    }

    @Test
    void clientThatStopsReadingRepliesIsDroppedAndFreesTheSharedBudget() throws Exception {
        start(NbdServerConfig.defaults().withTotalBytesInFlight(4 << 20).withReplyTimeout(Duration.ofMillis(500)));
        try (NbdTestClient good = NbdTestClient.open(server.address(), "disk", true)) {
            byte[] data = new byte[4096];
            new Random(10).nextBytes(data);
            assertEquals(0, good.write(0, data, CMD_FLAG_FUA));
            NbdTestClient greedy = NbdTestClient.open(server.address(), "disk", false);
            try {
                // Far more reply bytes than the socket buffers hold, and never read.
                for (int i = 0; i < 64; i++) {
                    greedy.send(CMD_READ, 0, 0, MAX_PAYLOAD, null);
                }
                // Until the greedy client is dropped this may wait for the shared budget; then it works.
                assertArrayEquals(data, good.read(0, 4096));
                awaitConnections(1);
            } finally {
                greedy.close();
            }
            assertEquals(0, good.write(4096, data, 0));
            assertArrayEquals(data, good.read(4096, 4096));
        }
    }

    private void awaitConnections(int n) throws InterruptedException {
        for (int i = 0; i < 1000 && server.server.connectionCount() > n; i++) {
            Thread.sleep(10);
        }
        assertEquals(n, server.server.connectionCount());
    }
}
