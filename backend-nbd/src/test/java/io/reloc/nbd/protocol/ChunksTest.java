package io.reloc.nbd.protocol;

import io.reloc.api.Extent;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunksTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void offsetDataPrefixBytes() {
        ByteBuffer b = ByteBuffer.allocate(32);
        Chunks.encodeOffsetDataPrefixAt(b, 4, REPLY_FLAG_DONE, 3, 512, 4096);
        assertEquals("00000000" + "668e33ef" + "0001" + "0001" + "0000000000000003" + "00001008" + "0000000000000200",
                HEX.formatHex(b.array()));
        assertEquals(0, b.position());
    }

    @Test
    void errorChunkRoundTrip() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(Chunks.errorSize("bad"));
        Chunks.encodeError(b, REPLY_FLAG_DONE, 5, Errno.EIO, "bad");
        assertEquals("668e33ef" + "0001" + "8001" + "0000000000000005" + "00000009" + "00000005" + "0003" + "626164",
                HEX.formatHex(b.array()));
        b.flip();
        ChunkHeader h = ChunkHeader.decode(b);
        assertEquals(new Chunks.Error(5, "bad", -1), Chunks.decodeError(h.type(), b));
    }

    @Test
    void errorChunkWithWrongMessageLengthIsRejected() {
        ByteBuffer payload = ByteBuffer.wrap(HEX.parseHex("00000005" + "0010" + "626164"));
        NbdProtocolException e = assertThrows(NbdProtocolException.class, () -> Chunks.decodeError(CHUNK_ERROR, payload));
        assertTrue(e.getMessage().contains("16 bytes"), e.getMessage());
    }

    @Test
    void blockStatusRoundTrip() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(Chunks.blockStatusSize(2));
        Chunks.encodeBlockStatus(b, REPLY_FLAG_DONE, 1, 7, List.of(Extent.data(4096), Extent.hole(8192)));
        assertEquals("668e33ef" + "0001" + "0005" + "0000000000000001" + "00000014" + "00000007"
                + "00001000" + "00000000" + "00002000" + "00000003", HEX.formatHex(b.array()));
        b.flip();
        ChunkHeader.decode(b);
        assertEquals(new Chunks.BlockStatus(7, List.of(new Chunks.Descriptor(4096, 0), new Chunks.Descriptor(8192, 3))),
                Chunks.decodeBlockStatus(b));
    }

    @Test
    void blockStatusWithPartialDescriptorIsRejected() {
        assertThrows(NbdProtocolException.class, () -> Chunks.decodeBlockStatus(ByteBuffer.wrap(HEX.parseHex("00000001" + "00001000"))));
        assertThrows(NbdProtocolException.class, () -> Chunks.decodeBlockStatus(ByteBuffer.wrap(HEX.parseHex("00000001"))));
    }

    @Test
    void holeAndNoneChunks() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(32 + 20);
        Chunks.encodeHole(b, 0, 2, 4096, 512);
        Chunks.encodeNone(b, 2);
        b.flip();
        assertEquals(new ChunkHeader(0, CHUNK_OFFSET_HOLE, 2, 12), ChunkHeader.decode(b));
        assertEquals(4096, b.getLong());
        assertEquals(512, b.getInt());
        ChunkHeader none = ChunkHeader.decode(b);
        assertTrue(none.done());
        assertEquals(CHUNK_NONE, none.type());
    }

    @Test
    void chunkHeaderWithSimpleMagicIsRejected() {
        NbdProtocolException e = assertThrows(NbdProtocolException.class,
                () -> ChunkHeader.decode(ByteBuffer.wrap(HEX.parseHex("67446698" + "0".repeat(32)))));
        assertTrue(e.getMessage().contains("0x67446698"), e.getMessage());
    }
}
