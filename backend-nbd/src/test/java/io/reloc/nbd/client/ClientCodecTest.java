package io.reloc.nbd.client;

import io.reloc.api.BlockError;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.Errno;
import io.reloc.nbd.protocol.ExportNameReply;
import io.reloc.nbd.protocol.NbdProtocolException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codecs in the client's direction, and the URI form, from bytes and strings. */
class ClientCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void exportNameReplyWithAndWithoutZeroes() throws Exception {
        ExportNameReply reply = new ExportNameReply(0x100000, 0x0d6d);
        assertEquals("0000000000100000" + "0d6d", HEX.formatHex(reply.encode(true).array()));
        ByteBuffer padded = reply.encode(false);
        assertEquals(134, padded.remaining());
        assertEquals(reply, ExportNameReply.decode(ByteBuffer.wrap(HEX.parseHex("0000000000100000" + "0d6d"))));
    }

    @Test
    void exportNameReplyTooShortOrTooLarge() {
        assertThrows(NbdProtocolException.class, () -> ExportNameReply.decode(ByteBuffer.wrap(HEX.parseHex("0000000000100000"))));
        assertThrows(NbdProtocolException.class, () -> ExportNameReply.decode(ByteBuffer.wrap(HEX.parseHex("8000000000000000" + "0001"))));
    }

    @Test
    void dataOffset() throws Exception {
        assertEquals(0x200, Chunks.decodeDataOffset(ByteBuffer.wrap(HEX.parseHex("0000000000000200")), 8 + 4096));
        NbdProtocolException e = assertThrows(NbdProtocolException.class,
                () -> Chunks.decodeDataOffset(ByteBuffer.wrap(HEX.parseHex("0000000000000200")), 8));
        assertTrue(e.getMessage().contains("carries no data"), e.getMessage());
        assertThrows(NbdProtocolException.class, () -> Chunks.decodeDataOffset(ByteBuffer.wrap(HEX.parseHex("00000000")), 100));
    }

    @Test
    void holeRoundTripAndMalformedHoles() throws Exception {
        ByteBuffer chunk = ByteBuffer.allocate(32);
        Chunks.encodeHole(chunk, 0, 7, 4096, 512);
        chunk.flip().position(20);
        assertEquals(new Chunks.Hole(4096, 512), Chunks.decodeHole(chunk));
        assertEquals(new Chunks.Hole(0, 0xffffffffL), Chunks.decodeHole(ByteBuffer.wrap(HEX.parseHex("0000000000000000" + "ffffffff"))));
        assertThrows(NbdProtocolException.class, () -> Chunks.decodeHole(ByteBuffer.wrap(HEX.parseHex("0000000000000000" + "00000000"))));
        assertThrows(NbdProtocolException.class, () -> Chunks.decodeHole(ByteBuffer.wrap(HEX.parseHex("0000000000000000" + "0000"))));
    }

    @Test
    void errnoMapsToDeviceErrorsAndBack() {
        for (BlockError error : BlockError.values()) {
            assertEquals(error, Errno.toBlockError(Errno.of(error)));
        }
        assertEquals(BlockError.IO, Errno.toBlockError(Errno.ENOMEM));
        assertEquals(BlockError.INVALID, Errno.toBlockError(Errno.EOVERFLOW));
        assertEquals(BlockError.IO, Errno.toBlockError(4242));
    }

    @Test
    void uris() {
        assertEquals(NbdUri.tcp("example.org", 10809, "disk"), NbdUri.parse(URI.create("nbd://example.org/disk")));
        assertEquals(NbdUri.tcp("127.0.0.1", 1234, ""), NbdUri.parse(URI.create("nbd://127.0.0.1:1234")));
        assertEquals(NbdUri.tcp("127.0.0.1", 1234, ""), NbdUri.parse(URI.create("nbd://127.0.0.1:1234/")));
        assertEquals(NbdUri.tcp("::1", 10809, "a b/c"), NbdUri.parse(URI.create("nbd://[::1]/a%20b/c")));
        assertEquals("[::1]:10809", NbdUri.parse(URI.create("nbd://[::1]/x")).server());
        assertEquals(new NbdUri("h", 10809, "x", Optional.empty(), 2), NbdUri.parse(URI.create("nbd://h/x?connections=2")));
        NbdUri unix = NbdUri.parse(URI.create("nbd+unix:///disk?socket=/run/nbd%20x.sock"));
        assertEquals(new NbdUri("", 10809, "disk", Optional.of(Path.of("/run/nbd x.sock")), 4), unix);
        assertEquals("unix:/run/nbd x.sock", unix.server());
        assertEquals("", NbdUri.parse(URI.create("nbd+unix://?socket=/s")).exportName());
    }

    @Test
    void badUrisSayWhatIsExpected() {
        IllegalArgumentException tls = assertThrows(IllegalArgumentException.class, () -> NbdUri.parse(URI.create("nbds://h/x")));
        assertTrue(tls.getMessage().contains("TLS"), tls.getMessage());
        for (String bad : List.of("nbd:///x", "file:/x", "nbd://h/x?tls=on", "nbd://h/x?connections=0",
                "nbd://h/x?connections=99", "nbd://h/x?socket=/s", "nbd+unix:///x", "nbd+unix://h/x?socket=/s", "nbd:x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NbdUri.parse(URI.create(bad)), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }
}
