package io.reloc.nbd.server;

import io.reloc.api.Export;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.channel.ChannelCodecs;
import io.reloc.nbd.protocol.Errno;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.testing.NbdTestClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** How the server negotiates the relocation channel, and what it does with RELOC_READ without it. */
class RelocChannelServerTest {

    private static NbdServer server(ChannelCodecs codecs) throws IOException {
        return serving(new byte[1 << 20], codecs);
    }

    /** A started server exporting {@code content} as "disk". */
    static NbdServer serving(byte[] content, ChannelCodecs codecs) throws IOException {
        MemoryBlockStore disk = new MemoryBlockStore(content.length);
        disk.write(0, ByteBuffer.wrap(content), false);
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", disk));
        NbdServer server = new NbdServer(new InetSocketAddress("127.0.0.1", 0), exports, NbdServerConfig.defaults(), codecs);
        server.start();
        return server;
    }

    /** Waits up to 30 s for {@code condition}; whether it came. */
    static boolean await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private static NbdTestClient structured(NbdServer server) throws IOException {
        NbdTestClient c = NbdTestClient.connect(server.localAddress());
        c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
        c.expectAck(c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0)));
        return c;
    }

    private static NbdTestClient.OptionReply last(List<NbdTestClient.OptionReply> replies) {
        return replies.getLast();
    }

    @Test
    void picksTheFirstOfferedCodecItHas() throws Exception {
        try (NbdServer server = server(ChannelCodecs.standard()); NbdTestClient c = structured(server)) {
            NbdTestClient.OptionReply r = last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("brotli", "lz4", "zstd"))));
            assertEquals(REP_ACK, r.type());
            assertEquals("lz4", RelocChannel.decodeChoice(r.data()));
        }
    }

    @Test
    void refusesWhenOffOrUnknownOrMalformedOrBeforeStructuredReplies() throws Exception {
        try (NbdServer server = server(ChannelCodecs.none()); NbdTestClient c = structured(server)) {
            assertEquals(REP_ERR_UNSUP, last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("zstd")))).type());
        }
        try (NbdServer server = server(ChannelCodecs.standard())) {
            try (NbdTestClient c = structured(server)) {
                assertEquals(REP_ERR_UNSUP, last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("brotli")))).type());
                assertEquals(REP_ERR_INVALID, last(c.option(OPT_RELOC_CHANNEL, ByteBuffer.wrap(new byte[] {0, 1, 9}))).type());
            }
            try (NbdTestClient c = NbdTestClient.connect(server.localAddress())) {
                c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
                assertEquals(REP_ERR_INVALID, last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("zstd")))).type());
            }
        }
    }

    @Test
    void theFrontEndOptionTurnsTheChannelOff() throws Exception {
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", new MemoryBlockStore(1 << 20)));
        io.reloc.nbd.NbdFrontEndFactory factory = new io.reloc.nbd.NbdFrontEndFactory();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> factory.create(new io.reloc.api.FrontEndConfig(any, java.util.Map.of("reloc-channel", "maybe")), exports));
        try (io.reloc.api.FrontEnd server = factory.create(
                new io.reloc.api.FrontEndConfig(any, java.util.Map.of("reloc-channel", "off")), exports)) {
            server.start();
            try (NbdTestClient c = NbdTestClient.connect(server.localAddress())) {
                c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
                c.expectAck(c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0)));
                assertEquals(REP_ERR_UNSUP, last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("zstd")))).type());
            }
        }
    }

    @Test
    void relocReadWithoutTheChannelIsRejected() throws Exception {
        try (NbdServer server = server(ChannelCodecs.standard());
             NbdTestClient c = NbdTestClient.open(server.localAddress(), "disk", true)) {
            NbdTestClient.Reply r = c.call(CMD_RELOC_READ, 0, 0, 4096, null);
            assertEquals(Errno.EINVAL, r.error());
            // The connection still serves plain reads.
            assertEquals(0, c.call(CMD_READ, 0, 0, 4096, null).error());
        }
    }

    @Test
    void relocRateIsAcceptedAfterTheChannelAndBogusRatesAreRefused() throws Exception {
        try (NbdServer server = server(ChannelCodecs.standard().withAdaptiveChoice());
             NbdTestClient c = structured(server)) {
            assertEquals(REP_ACK, last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("zstd", "xz")))).type());
            c.go("disk", List.of());
            assertEquals(0, c.call(CMD_RELOC_RATE, 0, 12_500_000, 0, null).error());
            for (long bogus : new long[] {0, -1, RelocChannel.MAX_RATE + 1}) {
                assertEquals(Errno.EINVAL, c.call(CMD_RELOC_RATE, 0, bogus, 0, null).error(), "rate " + bogus);
            }
            assertEquals(Errno.EINVAL, c.call(CMD_RELOC_RATE, 0, 12_500_000, 4096, null).error(), "length must be 0");
            // Still serving.
            assertEquals(0, c.call(CMD_READ, 0, 0, 4096, null).error());
            assertEquals(0, c.call(CMD_RELOC_RATE, 0, RelocChannel.MAX_RATE, 0, null).error());
        }
    }

    @Test
    void relocRateWithoutTheChannelIsRejected() throws Exception {
        try (NbdServer server = server(ChannelCodecs.standard());
             NbdTestClient c = NbdTestClient.open(server.localAddress(), "disk", true)) {
            assertEquals(Errno.EINVAL, c.call(CMD_RELOC_RATE, 0, 12_500_000, 0, null).error());
            assertEquals(0, c.call(CMD_READ, 0, 0, 4096, null).error());
        }
    }

    @Test
    void relocPaceIsAcceptedAfterTheChannelAndBogusOnesAreRefused() throws Exception {
        try (NbdServer server = server(ChannelCodecs.standard()); NbdTestClient c = structured(server)) {
            assertEquals(REP_ACK, last(c.option(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(List.of("zstd")))).type());
            c.go("disk", List.of());
            assertEquals(0, c.call(CMD_RELOC_PACE, 0, 12_500_000, 7, null).error());
            assertEquals(1, server.pacers().groups());
            assertEquals(0, c.call(CMD_RELOC_PACE, 0, 25_000_000, 7, null).error(), "a new rate for the group");
            assertEquals(1, server.pacers().groups());
            assertEquals(0, c.call(CMD_RELOC_PACE, 0, 12_500_000, 8, null).error(), "another group");
            assertEquals(1, server.pacers().groups(), "the connection left its first group");
            for (long bogus : new long[] {-1, RelocChannel.MAX_RATE + 1}) {
                assertEquals(Errno.EINVAL, c.call(CMD_RELOC_PACE, 0, bogus, 7, null).error(), "rate " + bogus);
            }
            assertEquals(Errno.EINVAL, c.call(CMD_RELOC_PACE, CMD_FLAG_FUA, 12_500_000, 7, null).error(), "no flags");
            assertEquals(0, c.call(CMD_READ, 0, 0, 4096, null).error(), "still serving, paced");
            assertEquals(0, c.call(CMD_RELOC_PACE, 0, 0, 8, null).error(), "0 stops pacing");
            assertEquals(0, server.pacers().groups());
            assertEquals(0, c.call(CMD_RELOC_PACE, 0, 12_500_000, 9, null).error());
            c.disconnect();
            org.junit.jupiter.api.Assertions.assertTrue(await(() -> server.pacers().groups() == 0),
                    "a group ends with its last connection");
        }
    }

    @Test
    void relocPaceWithoutTheChannelIsRejected() throws Exception {
        try (NbdServer server = server(ChannelCodecs.standard());
             NbdTestClient c = NbdTestClient.open(server.localAddress(), "disk", true)) {
            assertEquals(Errno.EINVAL, c.call(CMD_RELOC_PACE, 0, 12_500_000, 7, null).error());
            assertEquals(0, server.pacers().groups());
            assertEquals(0, c.call(CMD_READ, 0, 0, 4096, null).error());
        }
    }

    /** Paced at 2 MB/s, a 1 MiB read takes at least 0.52 s (less one slice) and arrives intact; pace 0 ends it. */
    @Test
    void pacedRepliesComeNoFasterThanThePaceAndIntact() throws Exception {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("pacedRepliesComeNoFasterThanThePaceAndIntact seed " + seed + " (replay with -Dreloc.seed=" + seed + ")");
        byte[] content = new byte[1 << 20];
        new java.util.Random(seed).nextBytes(content); // random: sent raw, as many bytes on the wire
        try (NbdServer server = serving(content, ChannelCodecs.standard());
             io.reloc.nbd.client.NbdSourceDevice device = open(server)) {
            device.paceReplies(2_000_000);
            org.junit.jupiter.api.Assertions.assertTrue(await(() -> server.pacers().groups() == 1),
                    "the device's connections form one group");
            byte[] read = new byte[content.length];
            long started = System.nanoTime();
            device.read(0, ByteBuffer.wrap(read));
            long took = System.nanoTime() - started;
            org.junit.jupiter.api.Assertions.assertArrayEquals(content, read, "seed " + seed);
            long bound = (long) ((content.length - ReplyPacer.MIN_SLICE) / 2e6 * 1e9);
            org.junit.jupiter.api.Assertions.assertTrue(took >= bound, "took " + took / 1e6 + " ms, pace allows no less than "
                    + bound / 1e6);
            device.paceReplies(0);
            org.junit.jupiter.api.Assertions.assertTrue(await(() -> server.pacers().groups() == 0), "pace 0 ends the group");
        }
    }

    private static io.reloc.nbd.client.NbdSourceDevice open(NbdServer server) throws IOException {
        return io.reloc.nbd.client.NbdSourceDevice.open(io.reloc.nbd.client.NbdUri.parse(java.net.URI.create(
                "nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk?connections=1")));
    }

    @Test
    void theRateCheckSaysWhatIsAllowed() {
        assertEquals(null, RelocChannel.checkRate(1));
        assertEquals(null, RelocChannel.checkRate(RelocChannel.MAX_RATE));
        String why = RelocChannel.checkRate(0);
        org.junit.jupiter.api.Assertions.assertTrue(why.contains("1 to " + RelocChannel.MAX_RATE), why);
        why = RelocChannel.checkRate(-1);
        org.junit.jupiter.api.Assertions.assertTrue(why.contains(Long.toUnsignedString(-1)), why);
    }
}
