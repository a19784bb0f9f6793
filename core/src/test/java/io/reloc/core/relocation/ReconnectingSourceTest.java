package io.reloc.core.relocation;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconnectingSourceTest {
    private final byte[] content = new byte[8192];
    private final TestSource backing;
    private volatile boolean reachable = true;
    private final AtomicInteger opens = new AtomicInteger();

    ReconnectingSourceTest() throws IOException {
        new Random(3).nextBytes(content);
        backing = new TestSource(content);
    }

    private ReconnectingSource.Opener opener(TestSource target) {
        return () -> {
            opens.incrementAndGet();
            if (!reachable) {
                throw new ConnectException("connection refused");
            }
            return target;
        };
    }

    private static byte[] read(ReconnectingSource source, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        source.read(offset, buffer);
        return buffer.array();
    }

    @Test
    void aReadWaitsThroughAnOutageShorterThanTheHold() throws Exception {
        ReconnectingSource source = new ReconnectingSource(opener(backing), "test", Duration.ofSeconds(20));
        backing.down = true;
        reachable = false;
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try {
                return read(source, 100, 50);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(300);
        assertTrue(!read.isDone(), "the read must be held, not failed, during the outage");
        backing.down = false;
        reachable = true;
        assertArrayEquals(Arrays.copyOfRange(content, 100, 150), read.get(10, TimeUnit.SECONDS));
        assertTrue(opens.get() >= 2, "it must have reconnected");
    }

    /** A source connection that counts link bytes: here, a quarter of what it reads. */
    private static final class CountingConnection extends io.reloc.api.ForwardingBlockDevice
            implements io.reloc.core.net.LinkBytes {
        final java.util.concurrent.atomic.AtomicLong link = new java.util.concurrent.atomic.AtomicLong();

        CountingConnection(TestSource target) {
            super(target);
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            int length = dst.remaining();
            super.read(offset, dst);
            link.addAndGet(length / 4);
        }

        @Override
        public long linkBytesReceived() {
            return link.get();
        }

        @Override
        public long dataBytesReceived() {
            return 4 * link.get();
        }

        @Override
        public void close() {} // the backing source is shared by the tests
    }

    /** A source connection whose server can pace its replies: records what it was asked. */
    private static final class PacingConnection extends io.reloc.api.ForwardingBlockDevice
            implements io.reloc.core.net.ReplyPacing {
        final java.util.List<Long> paces = new java.util.concurrent.CopyOnWriteArrayList<>();

        PacingConnection(TestSource target) {
            super(target);
        }

        @Override
        public void paceReplies(long bytesPerSecond) {
            paces.add(bytesPerSecond);
        }

        @Override
        public void close() {} // the backing source is shared by the tests
    }

    @Test
    void thePaceIsAskedOfEachNewConnection() throws Exception {
        java.util.List<PacingConnection> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
        ReconnectingSource source = new ReconnectingSource(() -> {
            PacingConnection c = new PacingConnection(backing);
            opened.add(c);
            return c;
        }, "test", Duration.ofSeconds(20));
        assertEquals(java.util.List.of(), opened.getFirst().paces, "not paced until asked");
        source.paceReplies(5_000_000);
        source.paceReplies(6_000_000);
        assertEquals(java.util.List.of(5_000_000L, 6_000_000L), opened.getFirst().paces);
        source.redirect(() -> {
            PacingConnection c = new PacingConnection(backing);
            opened.add(c);
            return c;
        }, "test again"); // drops the connection
        read(source, 0, 100);
        assertEquals(2, opened.size());
        assertEquals(java.util.List.of(6_000_000L), opened.get(1).paces, "the new connection is asked the last pace");

        ReconnectingSource plain = new ReconnectingSource(opener(backing), "test", Duration.ofSeconds(20));
        plain.paceReplies(5_000_000); // a source that cannot pace: nothing to ask
        assertArrayEquals(Arrays.copyOfRange(content, 0, 100), read(plain, 0, 100));
    }

    @Test
    void linkBytesAddUpOverReconnectionsAndFallBackToBytesRead() throws Exception {
        ReconnectingSource counted = new ReconnectingSource(() -> new CountingConnection(backing), "test",
                Duration.ofSeconds(20));
        read(counted, 0, 4000);
        assertEquals(1000, counted.linkBytesReceived());
        counted.redirect(() -> new CountingConnection(backing), "test again"); // drops the connection
        read(counted, 0, 800);
        assertEquals(1200, counted.linkBytesReceived(), "the first connection's bytes stay counted");
        assertEquals(4800, counted.dataBytesReceived(), "and so do the data bytes");

        ReconnectingSource plain = new ReconnectingSource(opener(backing), "test", Duration.ofSeconds(20));
        read(plain, 0, 4000);
        assertEquals(4000, plain.linkBytesReceived(), "a connection that does not count: the bytes read");
        assertEquals(4000, plain.dataBytesReceived());
    }

    @Test
    void aLongOutageFailsWithEioAfterTheHold() throws Exception {
        ReconnectingSource source = new ReconnectingSource(opener(backing), "test", Duration.ofMillis(300));
        backing.down = true;
        reachable = false;
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> read(source, 0, 10));
        assertEquals(BlockError.IO, e.error());
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
    }

    @Test
    void redirectMovesToTheNewSource() throws Exception {
        ReconnectingSource source = new ReconnectingSource(opener(backing), "old", Duration.ofSeconds(5));
        byte[] moved = content.clone();
        moved[0] = (byte) ~moved[0];
        TestSource elsewhere = new TestSource(moved);
        source.redirect(opener(elsewhere), "new");
        assertEquals(moved[0], read(source, 0, 1)[0]);
        assertEquals("new", source.description());
    }

    @Test
    void invalidRequestsAreNotRetried() throws Exception {
        ReconnectingSource source = new ReconnectingSource(opener(backing), "test", Duration.ofSeconds(5));
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> read(source, content.length - 1, 10));
        assertEquals(BlockError.INVALID, e.error());
        assertEquals(1, opens.get());
    }
}
