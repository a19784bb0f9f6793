package io.reloc.nbd.client;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Export;
import io.reloc.core.codec.ZstdCodec;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.relocation.ReconnectingSource;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.channel.BatchEncoder;
import io.reloc.nbd.channel.ChannelCodecs;
import io.reloc.nbd.channel.ChannelStats;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.server.NbdServer;
import io.reloc.nbd.server.NbdServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reloc's relocation channel between Reloc's own client and server, and against a lying server. */
class RelocChannelTest {
    private static final int SIZE = 8 << 20;

    /** Text in the first half with a zero gap, random bytes in the third quarter, zeroes after. */
    static byte[] content(long seed) {
        Random random = new Random(seed);
        byte[] data = new byte[SIZE];
        String[] words = {"relocation", "block", "the", "device", "kernel", "extent", "\n", "0x7f", "write", "="};
        StringBuilder sb = new StringBuilder();
        while (sb.length() < SIZE / 2) {
            sb.append(words[random.nextInt(words.length)]).append(' ');
        }
        System.arraycopy(sb.toString().getBytes(StandardCharsets.US_ASCII), 0, data, 0, SIZE / 2);
        java.util.Arrays.fill(data, 1 << 20, (1 << 20) + (256 << 10), (byte) 0);
        byte[] noise = new byte[SIZE / 4];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, data, SIZE / 2, noise.length);
        return data;
    }

    private static NbdServer server(byte[] content, ChannelCodecs codecs) throws IOException {
        MemoryBlockStore disk = new MemoryBlockStore(content.length);
        disk.write(0, ByteBuffer.wrap(content), false);
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", disk));
        NbdServer server = new NbdServer(new InetSocketAddress("127.0.0.1", 0), exports, NbdServerConfig.defaults(), codecs);
        server.start();
        return server;
    }

    private static byte[] readAll(NbdSourceDevice device) throws IOException {
        byte[] out = new byte[(int) device.size()];
        // Unaligned pieces too, as a relocation's demand reads are.
        device.read(0, ByteBuffer.wrap(out, 0, 1000));
        device.read(1000, ByteBuffer.wrap(out, 1000, out.length - 1000));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "lz4", "deflate"})
    void negotiatedCodecCarriesTheDataAndTheBytesAreEqual(String codec) throws Exception {
        long seed = System.nanoTime();
        System.out.println("negotiatedCodecCarriesTheDataAndTheBytesAreEqual " + codec + " seed " + seed);
        byte[] content = content(seed);
        try (NbdServer server = server(content, ChannelCodecs.standard());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(URI.create(
                     "nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk?codec=" + codec)))) {
            assertEquals(codec.equals("auto") ? "zstd" : codec, device.negotiated().channelCodec());
            assertArrayEquals(content, readAll(device), "seed " + seed);
            ChannelStats.Snapshot s = device.channelStats().snapshot();
            assertTrue(s.encodedBatches() > 0, "compressed batches were sent: " + s);
            assertTrue(s.rawBatches() > 0, "random bytes were sent raw: " + s);
            assertTrue(s.zeroBatches() > 0, "zero runs were sent as markers: " + s);
            // Text compresses, zeroes cost nothing, random bytes cost their size.
            assertTrue(s.payloadBytes() < SIZE / 2, s.toString());
            // What the pacer counts: the payloads plus a header per zero marker.
            assertEquals(s.payloadBytes() + s.zeroBatches() * RelocChannel.batchSize(0), device.linkBytesReceived());
            // And the data those bytes carried: every byte read, once (the reads do not overlap).
            assertEquals(SIZE, device.dataBytesReceived());
        }
    }

    @Test
    void anAdaptiveServerStillDeliversTheRightBytes() throws Exception {
        long seed = System.nanoTime();
        System.out.println("anAdaptiveServerStillDeliversTheRightBytes seed " + seed);
        byte[] content = content(seed);
        try (NbdServer server = server(content, ChannelCodecs.standard().withAdaptiveChoice());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.tcp("127.0.0.1", server.localAddress().getPort(), "disk"))) {
            assertEquals("zstd", device.negotiated().channelCodec());
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(content, readAll(device), "seed " + seed);
            }
            // Whether batches were encoded depends on the measured loopback rate; each is checked either way.
            ChannelStats.Snapshot s = device.channelStats().snapshot();
            assertEquals(3L * SIZE, s.decodedBytes() + s.zeroBytes(), s.toString());
        }
    }

    @Test
    void theClientTellsTheServerItsRateAndStopsWhenRefused() throws Exception {
        byte[] content = content(9);
        try (NbdServer server = server(content, ChannelCodecs.standard().withAdaptiveChoice());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.tcp("127.0.0.1", server.localAddress().getPort(), "disk"))) {
            NbdConnection c = device.connections().getFirst();
            assertTrue(c.reportRate(12_500_000), "a valid rate is accepted");
            assertTrue(c.reportsRates());
            assertTrue(!c.reportRate(0), "a bogus rate is refused");
            assertTrue(!c.reportsRates(), "no more rates after a refusal");
            assertArrayEquals(content, readAll(device), "the connection still serves");
        }
    }

    @Test
    void aPaceTheServerRefusesIsNotAskedAgainAndReadsGoOn() throws Exception {
        byte[] content = content(10);
        try (NbdServer server = server(content, ChannelCodecs.standard());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.tcp("127.0.0.1", server.localAddress().getPort(), "disk"))) {
            assertTrue(device.pacesReplies());
            device.paceReplies(RelocChannel.MAX_RATE + 1); // refused, as a server that predates RELOC_PACE does
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (device.pacesReplies() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(!device.pacesReplies(), "no more paces after a refusal");
            assertThrows(IllegalArgumentException.class, () -> device.paceReplies(-1));
            assertArrayEquals(content, readAll(device), "the connections still serve");
        }
        try (NbdServer server = server(content, ChannelCodecs.standard());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(URI.create(
                     "nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk?codec=none")))) {
            device.paceReplies(1_000_000);
            assertTrue(!device.pacesReplies(), "plain reads: nothing to pace");
            assertArrayEquals(content, readAll(device));
        }
    }

    @Test
    void anAdaptiveServerUsesSeveralCodecsTheClientDecodes() throws Exception {
        long seed = System.nanoTime();
        System.out.println("anAdaptiveServerUsesSeveralCodecsTheClientDecodes seed " + seed);
        byte[] content = content(seed);
        try (NbdServer server = server(content, ChannelCodecs.standard().withAdaptiveChoice());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(URI.create(
                     "nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk?connections=1")))) {
            // A slow link: the server favours strong codecs.
            assertTrue(device.connections().getFirst().reportRate(1_000_000));
            assertArrayEquals(content, readAll(device), "seed " + seed);
            ChannelStats.Snapshot s = device.channelStats().snapshot();
            assertTrue(s.encodedBatches() >= ChannelCodecs.AUTO.size(), "each codec encoded a batch: " + s);
            assertTrue(s.payloadBytes() < SIZE / 2, s.toString());
        }
    }

    @Test
    void codecNoneAndAServerWithTheChannelOffUsePlainReads() throws Exception {
        byte[] content = content(7);
        try (NbdServer server = server(content, ChannelCodecs.standard());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(URI.create(
                     "nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk?codec=none")))) {
            assertTrue(!device.negotiated().channel());
            assertArrayEquals(content, readAll(device));
            assertEquals(new ChannelStats().snapshot(), device.channelStats().snapshot());
            // Plain reads cost their size, and an unaligned read the aligned range around it.
            long link = device.linkBytesReceived();
            assertTrue(link >= content.length && link <= content.length + 8192, "link bytes " + link);
            assertEquals(link, device.dataBytesReceived(), "plain replies carry what they cost");
        }
        try (NbdServer server = server(content, ChannelCodecs.none());
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.tcp("127.0.0.1", server.localAddress().getPort(), "disk"))) {
            assertTrue(!device.negotiated().channel());
            assertArrayEquals(content, readAll(device));
            assertEquals(0, device.channelStats().snapshot().decodedBytes());
        }
    }

    @Test
    void aServerWithoutTheOfferedCodecFallsBackToPlainReads() throws Exception {
        byte[] content = content(8);
        // Identity is none of the codecs auto offers.
        try (NbdServer server = server(content, ChannelCodecs.of(List.of(new io.reloc.core.codec.IdentityCodec())));
             NbdSourceDevice device = NbdSourceDevice.open(NbdUri.tcp("127.0.0.1", server.localAddress().getPort(), "disk"))) {
            assertEquals("", device.negotiated().channelCodec());
            assertArrayEquals(content, readAll(device));
        }
    }

    @Test
    void aCorruptBatchFailsTheReadAndAFreshConnectionBringsTheRightData() throws Exception {
        long seed = System.nanoTime();
        System.out.println("aCorruptBatchFailsTheReadAndAFreshConnectionBringsTheRightData seed " + seed);
        byte[] content = content(seed);
        AtomicInteger connections = new AtomicInteger();
        try (FakeNbdServer fake = new FakeNbdServer()) {
            fake.size = SIZE;
            fake.channelCodec = "zstd";
            fake.script = wire -> {
                boolean lie = connections.incrementAndGet() == 1;
                BatchEncoder encoder = new BatchEncoder(new ZstdCodec(1), 1);
                for (Request r = wire.next(); r != null; r = wire.next()) {
                    assertEquals(NbdConstants.CMD_RELOC_READ, r.type(), "only RELOC_READ once negotiated");
                    List<ByteBuffer> chunks = new ArrayList<>();
                    encoder.encode(ByteBuffer.wrap(content, (int) r.offset(), (int) r.length()), r.offset(), r.cookie(),
                            chunks::add);
                    for (ByteBuffer c : chunks) {
                        if (lie && c.remaining() > 200) {
                            // One flipped bit deep in the encoded bytes: a wire error TCP did not catch.
                            c.put(c.limit() - 100, (byte) (c.get(c.limit() - 100) ^ 0x10));
                            lie = false;
                        }
                        wire.send(c);
                    }
                }
            };
            fake.start();
            NbdUri uri = NbdUri.tcp("127.0.0.1", fake.address().getPort(), "disk");
            byte[] out = new byte[SIZE];
            try (NbdSourceDevice device = NbdSourceDevice.open(uri)) {
                assertEquals("zstd", device.negotiated().channelCodec());
                BlockDeviceException e = assertThrows(BlockDeviceException.class,
                        () -> device.read(0, ByteBuffer.wrap(out)));
                assertEquals(BlockError.IO, e.error());
                assertTrue(e.getMessage().contains("zstd") || e.getMessage().contains("checksum"), e.getMessage());
            }
            // The ReconnectingSource above an NBD source retries on a fresh connection.
            try (ReconnectingSource source = new ReconnectingSource(() -> NbdSourceDevice.open(uri), uri.server(),
                    Duration.ofSeconds(30))) {
                byte[] again = new byte[SIZE];
                source.read(0, ByteBuffer.wrap(again));
                assertArrayEquals(content, again, "seed " + seed);
            }
            assertTrue(connections.get() >= 2);
        }
    }

    @Test
    void aBatchClaimingMoreThanTheRequestIsRefusedBeforeAllocating() throws Exception {
        try (FakeNbdServer fake = new FakeNbdServer()) {
            fake.channelCodec = "zstd";
            fake.script = wire -> {
                for (Request r = wire.next(); r != null; r = wire.next()) {
                    ByteBuffer c = ByteBuffer.allocate(io.reloc.nbd.protocol.RelocChannel.batchSize(0));
                    // A zero run twice the size asked: must not be written past the caller's buffer.
                    io.reloc.nbd.protocol.RelocChannel.encodeBatch(c, NbdConstants.REPLY_FLAG_DONE, r.cookie(),
                            new io.reloc.nbd.protocol.RelocChannel.Batch(r.offset(), 2 * r.length(), 0,
                                    io.reloc.nbd.protocol.RelocChannel.ZERO), ByteBuffer.allocate(0));
                    wire.send(c.flip());
                }
            };
            fake.start();
            try (NbdSourceDevice device = NbdSourceDevice.open(NbdUri.tcp("127.0.0.1", fake.address().getPort(), "disk"))) {
                byte[] out = new byte[4096];
                java.util.Arrays.fill(out, (byte) 9);
                BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> device.read(0, ByteBuffer.wrap(out)));
                assertEquals(BlockError.IO, e.error());
                for (byte b : out) {
                    assertEquals(9, b, "nothing was written");
                }
            }
        }
    }
}
