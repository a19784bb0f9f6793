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
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", new MemoryBlockStore(1 << 20)));
        NbdServer server = new NbdServer(new InetSocketAddress("127.0.0.1", 0), exports, NbdServerConfig.defaults(), codecs);
        server.start();
        return server;
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
    void theRateCheckSaysWhatIsAllowed() {
        assertEquals(null, RelocChannel.checkRate(1));
        assertEquals(null, RelocChannel.checkRate(RelocChannel.MAX_RATE));
        String why = RelocChannel.checkRate(0);
        org.junit.jupiter.api.Assertions.assertTrue(why.contains("1 to " + RelocChannel.MAX_RATE), why);
        why = RelocChannel.checkRate(-1);
        org.junit.jupiter.api.Assertions.assertTrue(why.contains(Long.toUnsignedString(-1)), why);
    }
}
