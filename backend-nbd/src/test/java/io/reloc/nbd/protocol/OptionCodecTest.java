package io.reloc.nbd.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void greetingBytesAsNbdkitSendsThem() throws Exception {
        ByteBuffer g = new Greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES).encode();
        assertEquals("4e42444d41474943" + "49484156454f5054" + "0003", HEX.formatHex(RequestCodecTest.bytes(g)));
        assertEquals(new Greeting(3), Greeting.decode(g));
    }

    @Test
    void oldstyleGreetingIsRejectedWithAReason() {
        ByteBuffer old = ByteBuffer.wrap(HEX.parseHex("4e42444d41474943" + "00420281861253" + "00" + "0000"));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> Greeting.decode(old));
        assertTrue(e.getMessage().contains("oldstyle"), e.getMessage());
    }

    @Test
    void optionHeaderFromBytes() throws Exception {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("49484156454f5054" + "00000007" + "ffffffff"));
        assertEquals(new OptionHeader(OPT_GO, 0xffffffffL), OptionHeader.decode(b));
    }

    @Test
    void optionHeaderWithBadMagicNamesIt() {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("0102030405060708" + "00000007" + "00000000"));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> OptionHeader.decode(b));
        assertTrue(e.getMessage().contains("0x0102030405060708"), e.getMessage());
    }

    @Test
    void optionReplyRoundTripAndErrorBit() throws Exception {
        ByteBuffer b = OptionReplyHeader.encodeError(OPT_STARTTLS, REP_ERR_POLICY, "no");
        assertEquals("0003e889045565a9" + "00000005" + "80000002" + "00000002" + "6e6f", HEX.formatHex(RequestCodecTest.bytes(b)));
        OptionReplyHeader h = OptionReplyHeader.decode(b);
        assertTrue(h.isError());
        assertEquals(2, h.length());
    }

    @Test
    void exportInfoRequestFromBytes() throws Exception {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("00000003" + "657870" + "0002" + "0003" + "0001"));
        ExportInfoRequest r = ExportInfoRequest.decode(b);
        assertEquals(new ExportInfoRequest("exp", List.of(INFO_BLOCK_SIZE, INFO_NAME)), r);
        assertArrayEquals(HEX.parseHex("00000003" + "657870" + "0002" + "0003" + "0001"), RequestCodecTest.bytes(r.encode()));
    }

    @Test
    void exportInfoRequestWithWrongCountIsRejected() {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("00000000" + "0003" + "0001"));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> ExportInfoRequest.decode(b));
        assertTrue(e.getMessage().contains("count 3"), e.getMessage());
    }

    @Test
    void nameLongerThanItsDataIsRejected() {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("00000010" + "6162" + "0000"));
        assertThrows(NbdProtocolException.class, () -> ExportInfoRequest.decode(b));
    }

    @Test
    void nameAboveTheLimitIsRejectedBeforeReadingIt() {
        ByteBuffer b = ByteBuffer.allocate(4 + 5000).putInt(5000);
        b.rewind();
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> ExportInfoRequest.decode(b));
        assertTrue(e.getMessage().contains("5000"), e.getMessage());
    }

    @Test
    void invalidUtf8AndNulAreRejected() {
        assertThrows(NbdProtocolException.class,
                () -> ExportInfoRequest.decode(ByteBuffer.wrap(HEX.parseHex("00000002" + "c328" + "0000"))));
        assertThrows(NbdProtocolException.class,
                () -> ExportInfoRequest.decode(ByteBuffer.wrap(HEX.parseHex("00000002" + "6100" + "0000"))));
    }

    @Test
    void metaContextRequestRoundTrip() throws Exception {
        MetaContextRequest r = new MetaContextRequest("", List.of("base:allocation", "qemu:dirty-bitmap:x"));
        assertEquals(r, MetaContextRequest.decode(r.encode()));
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("00000000" + "00000001" + "00000005" + "626173653a"));
        assertEquals(new MetaContextRequest("", List.of("base:")), MetaContextRequest.decode(b));
    }

    @Test
    void metaContextRequestWithAbsurdCountIsRejectedWithoutAllocating() {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("00000000" + "7fffffff" + "00000000"));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> MetaContextRequest.decode(b));
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
    }

    @Test
    void metaContextRequestWithTrailingBytesIsRejected() {
        ByteBuffer b = ByteBuffer.wrap(HEX.parseHex("00000000" + "00000000" + "ff"));
        assertThrows(NbdProtocolException.class, () -> MetaContextRequest.decode(b));
    }

    @Test
    void infoRepliesRoundTrip() throws Exception {
        for (InfoReply i : List.of(new InfoReply.Export(1L << 30, 0x0ded), new InfoReply.Name("disk"),
                new InfoReply.Description("a disk"), new InfoReply.BlockSize(512, 4096, 32 << 20))) {
            assertEquals(i, InfoReply.decode(i.encode()));
        }
        assertEquals("0000" + "0000000040000000" + "0ded",
                HEX.formatHex(RequestCodecTest.bytes(new InfoReply.Export(1L << 30, 0x0ded).encode())));
    }

    @Test
    void unknownInfoTypeIsKeptAndShortExportInfoRejected() throws Exception {
        InfoReply u = InfoReply.decode(ByteBuffer.wrap(HEX.parseHex("0063" + "0102")));
        InfoReply.Unknown unknown = assertInstanceOf(InfoReply.Unknown.class, u);
        assertEquals(99, unknown.type());
        assertThrows(NbdProtocolException.class, () -> InfoReply.decode(ByteBuffer.wrap(HEX.parseHex("0000" + "00000000"))));
    }

    @Test
    void serverEntryAndMetaContextEntryRoundTrip() throws Exception {
        ServerEntry s = new ServerEntry("disk", "the disk");
        assertEquals(s, ServerEntry.decode(s.encode()));
        assertEquals("00000004" + "6469736b" + "746865206469736b", HEX.formatHex(RequestCodecTest.bytes(s.encode())));
        MetaContextEntry m = new MetaContextEntry(1, BASE_ALLOCATION);
        assertEquals(m, MetaContextEntry.decode(m.encode()));
    }

    @Test
    void errnoMapping() {
        assertEquals(5, Errno.of(io.reloc.api.BlockError.IO));
        assertEquals(28, Errno.of(io.reloc.api.BlockError.NO_SPACE));
        assertEquals(22, Errno.of(io.reloc.api.BlockError.INVALID));
        assertEquals(1, Errno.of(io.reloc.api.BlockError.READ_ONLY));
        assertEquals(95, Errno.of(io.reloc.api.BlockError.NOT_SUPPORTED));
        assertEquals(108, Errno.of(io.reloc.api.BlockError.SHUTDOWN));
    }
}
