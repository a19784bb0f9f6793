package io.reloc.nbd.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.CHUNK_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_RELOC_BATCH;
import static io.reloc.nbd.protocol.NbdConstants.REPLY_FLAG_DONE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relocation channel's wire formats, from bytes. */
class RelocChannelCodecTest {

    @Test
    void offerAndChoiceRoundTrip() throws Exception {
        ByteBuffer offer = RelocChannel.encodeOffer(List.of("zstd", "lz4"));
        assertEquals(2 + 5 + 4, offer.remaining());
        assertEquals(List.of("zstd", "lz4"), RelocChannel.decodeOffer(offer));
        assertEquals("lz4", RelocChannel.decodeChoice(RelocChannel.encodeChoice("lz4")));
    }

    @Test
    void malformedOffersAreRefused() {
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeOffer(ByteBuffer.wrap(new byte[] {0})));
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeOffer(ByteBuffer.wrap(new byte[] {0, 0})));
        // One codec announced, name length 5, only 3 bytes follow.
        assertThrows(NbdProtocolException.class,
                () -> RelocChannel.decodeOffer(ByteBuffer.wrap(new byte[] {0, 1, 5, 'z', 's', 't'})));
        // Zero-length name.
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeOffer(ByteBuffer.wrap(new byte[] {0, 1, 0})));
        // Trailing bytes.
        assertThrows(NbdProtocolException.class,
                () -> RelocChannel.decodeOffer(ByteBuffer.wrap(new byte[] {0, 1, 1, 'x', 9})));
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeChoice(ByteBuffer.allocate(0)));
        assertThrows(NbdProtocolException.class,
                () -> RelocChannel.decodeChoice(ByteBuffer.wrap(new byte[] {1, 'x', 'y'})));
    }

    @Test
    void batchRoundTripsThroughAChunk() throws Exception {
        ByteBuffer chunk = ByteBuffer.allocate(RelocChannel.batchSize(3));
        RelocChannel.encodeBatch(chunk, REPLY_FLAG_DONE, 77, new RelocChannel.Batch(4096, 10, 0xCAFEBABE, 1),
                ByteBuffer.wrap(new byte[] {1, 2, 3}));
        chunk.flip();
        ChunkHeader header = ChunkHeader.decode(chunk);
        assertEquals(new ChunkHeader(REPLY_FLAG_DONE, CHUNK_RELOC_BATCH, 77, RelocChannel.BATCH_HEADER_SIZE + 3), header);
        RelocChannel.Batch batch = RelocChannel.decodeBatch(chunk, header.length());
        assertEquals(new RelocChannel.Batch(4096, 10, 0xCAFEBABE, 1), batch);
        assertEquals(3, chunk.remaining());
        assertEquals(CHUNK_HEADER_SIZE + RelocChannel.BATCH_HEADER_SIZE + 3, chunk.limit());
    }

    @Test
    void batchHeadersThatCannotBeRightAreRefused() {
        // Shorter than its own header.
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeBatch(header(0, 10, 1), 5));
        // Truncated bytes.
        assertThrows(NbdProtocolException.class,
                () -> RelocChannel.decodeBatch(ByteBuffer.allocate(9), RelocChannel.BATCH_HEADER_SIZE));
        // Zero decoded length.
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeBatch(header(0, 0, 1), payload(1)));
        // Offset beyond 2^63.
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeBatch(header(-1, 10, 1), payload(4)));
        // Encoded longer than decoded: the cap that bounds what a client allocates.
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeBatch(header(0, 10, 1), payload(11)));
        // A zero marker with payload, a raw batch of the wrong length, an encoded batch without bytes.
        assertThrows(NbdProtocolException.class,
                () -> RelocChannel.decodeBatch(header(0, 10, RelocChannel.ZERO), payload(1)));
        assertThrows(NbdProtocolException.class,
                () -> RelocChannel.decodeBatch(header(0, 10, RelocChannel.RAW), payload(9)));
        assertThrows(NbdProtocolException.class, () -> RelocChannel.decodeBatch(header(0, 10, 2), payload(0)));
    }

    @Test
    void zeroMarkersCarryNoPayload() throws Exception {
        RelocChannel.Batch b = RelocChannel.decodeBatch(header(8192, 1 << 20, RelocChannel.ZERO), payload(0));
        assertTrue(b.zero());
        assertEquals(1 << 20, b.decodedLength());
    }

    private static long payload(int encoded) {
        return RelocChannel.BATCH_HEADER_SIZE + encoded;
    }

    private static ByteBuffer header(long offset, int decoded, int codec) {
        return ByteBuffer.allocate(RelocChannel.BATCH_HEADER_SIZE).putLong(offset).putInt(decoded).putInt(0)
                .put((byte) codec).flip();
    }
}
