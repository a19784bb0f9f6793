package io.reloc.nbd.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void decodesAWriteHeaderFromBytes() throws Exception {
        byte[] bytes = HEX.parseHex("25609513" + "0001" + "0001" + "0102030405060708" + "0000000000001000" + "00000200");
        Request r = Request.decode(ByteBuffer.wrap(bytes));
        assertEquals(new Request(NbdConstants.CMD_FLAG_FUA, NbdConstants.CMD_WRITE, 0x0102030405060708L, 4096, 512), r);
        assertTrue(r.has(NbdConstants.CMD_FLAG_FUA));
    }

    @Test
    void encodesTheSameBytes() {
        Request r = new Request(NbdConstants.CMD_FLAG_DF, NbdConstants.CMD_READ, -1L, 1L << 40, 0xffffffffL);
        assertEquals("25609513" + "0004" + "0000" + "ffffffffffffffff" + "0000010000000000" + "ffffffff",
                HEX.formatHex(bytes(r.encode())));
    }

    @Test
    void unsignedFieldsSurviveARoundTrip() throws Exception {
        Request r = new Request(0xffff, 0xffff, Long.MIN_VALUE, -8, 0xffffffffL);
        assertEquals(r, Request.decode(r.encode()));
    }

    @Test
    void badMagicIsReportedInHex() {
        byte[] bytes = HEX.parseHex("deadbeef" + "0".repeat(48));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> Request.decode(ByteBuffer.wrap(bytes)));
        assertTrue(e.getMessage().contains("0xdeadbeef"), e.getMessage());
        assertTrue(e.getMessage().contains("0x25609513"), e.getMessage());
    }

    @Test
    void truncatedHeaderIsRejected() {
        NbdProtocolException e = assertThrows(NbdProtocolException.class,
                () -> Request.decode(ByteBuffer.wrap(HEX.parseHex("2560951300000000"))));
        assertTrue(e.getMessage().contains("8 of 28"), e.getMessage());
    }

    @Test
    void simpleReplyRoundTripAndBytes() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(16);
        new SimpleReply(Errno.EINVAL, 7).encode(b);
        assertEquals("67446698" + "00000016" + "0000000000000007", HEX.formatHex(b.array()));
        assertEquals(new SimpleReply(22, 7), SimpleReply.decode(b.flip()));
    }

    @Test
    void replyHeaderTellsSimpleFromStructured() throws Exception {
        ByteBuffer simple = ByteBuffer.wrap(HEX.parseHex("67446698" + "00000000" + "0000000000000009"));
        assertEquals(9, ReplyHeader.decode(simple).cookie());
        ByteBuffer chunk = ByteBuffer.wrap(HEX.parseHex("668e33ef" + "0001" + "0000" + "000000000000000a" + "00000000"));
        ReplyHeader h = ReplyHeader.decode(chunk);
        assertEquals(new ReplyHeader.Chunk(new ChunkHeader(1, 0, 10, 0)), h);
        NbdProtocolException e = assertThrows(NbdProtocolException.class,
                () -> ReplyHeader.decode(ByteBuffer.wrap(HEX.parseHex("12345678" + "0".repeat(24)))));
        assertTrue(e.getMessage().contains("0x12345678"), e.getMessage());
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
