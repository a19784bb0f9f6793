package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import io.reloc.core.codec.ZstdCodec;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.RelocChannel;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without an adaptive choice the encoder stops trying its codec on long stretches of data the
 * codec cannot shrink, tries again now and then, and compresses again once the data allows; and
 * {@link BatchEncoder#encodeInto} writes exactly the chunks {@link BatchEncoder#encode} sends.
 */
class IncompressibleStretchTest {
    private static final int BATCH = 256 << 10;

    /** Counts the batches it is asked to encode. */
    private static final class CountingCodec implements TransferCodec {
        private final TransferCodec inner = new ZstdCodec(1);
        int calls;

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public ByteBuffer encode(ByteBuffer src) {
            calls++;
            return inner.encode(src);
        }

        @Override
        public ByteBuffer decode(ByteBuffer src, int decodedLength) {
            return inner.decode(src, decodedLength);
        }
    }

    private static byte[] random(Random random) {
        byte[] b = new byte[BATCH];
        random.nextBytes(b);
        return b;
    }

    private static int codecIdOf(ByteBuffer chunk) throws Exception {
        ByteBuffer c = chunk.duplicate();
        ChunkHeader h = ChunkHeader.decode(c);
        return RelocChannel.decodeBatch(c, h.length()).codecId();
    }

    @Test
    void aLongIncompressibleStretchIsSentRawWithOnlyOccasionalTries() throws Exception {
        long seed = System.nanoTime();
        System.out.println("aLongIncompressibleStretchIsSentRawWithOnlyOccasionalTries seed " + seed);
        Random random = new Random(seed);
        CountingCodec codec = new CountingCodec();
        BatchEncoder encoder = new BatchEncoder(codec, 1);
        int batches = 200;
        for (int i = 0; i < batches; i++) {
            List<ByteBuffer> chunks = new ArrayList<>();
            encoder.encode(ByteBuffer.wrap(random(random)), (long) i * BATCH, i, chunks::add);
            assertEquals(1, chunks.size());
            assertEquals(RelocChannel.RAW, codecIdOf(chunks.getFirst()), "seed " + seed);
        }
        // 1 + 1 + 1 + 1 tries while backing off (0, 1, 3, 7 untried), then one in 16.
        assertTrue(codec.calls <= 5 + batches / (BatchEncoder.MAX_UNTRIED + 1), "tries: " + codec.calls);
        assertTrue(codec.calls >= batches / (BatchEncoder.MAX_UNTRIED + 1), "still probes now and then: " + codec.calls);

        // Compressible data is compressed again within one probe period.
        byte[] text = BatchCodingTest.text(random, BATCH);
        int raw = 0;
        int id = RelocChannel.RAW;
        while (id == RelocChannel.RAW) {
            List<ByteBuffer> chunks = new ArrayList<>();
            encoder.encode(ByteBuffer.wrap(text), 0, 1, chunks::add);
            id = codecIdOf(chunks.getFirst());
            raw += id == RelocChannel.RAW ? 1 : 0;
            assertTrue(raw <= BatchEncoder.MAX_UNTRIED, "compressible data stays raw: seed " + seed);
        }
        assertEquals(1, id);
        // Once it compresses, every following batch is tried again.
        int before = codec.calls;
        for (int i = 0; i < 5; i++) {
            encoder.encode(ByteBuffer.wrap(text), 0, 1, b -> { });
        }
        assertEquals(before + 5, codec.calls);
    }

    @Test
    void aSingleIncompressibleBatchDoesNotStopTheNextFromBeingTried() throws Exception {
        Random random = new Random(7);
        CountingCodec codec = new CountingCodec();
        BatchEncoder encoder = new BatchEncoder(codec, 1);
        encoder.encode(ByteBuffer.wrap(random(random)), 0, 1, b -> { });
        List<ByteBuffer> chunks = new ArrayList<>();
        encoder.encode(ByteBuffer.wrap(BatchCodingTest.text(random, BATCH)), 0, 2, chunks::add);
        assertEquals(2, codec.calls);
        assertEquals(1, codecIdOf(chunks.getFirst()));
    }

    @Test
    void encodeIntoWritesWhatEncodeSends() throws Exception {
        long seed = System.nanoTime();
        System.out.println("encodeIntoWritesWhatEncodeSends seed " + seed);
        Random random = new Random(seed);
        // Text, zeroes, random bytes and an odd tail: zero, encoded and raw batches.
        byte[] data = new byte[(2 << 20) + 4096 * 3 + 123];
        System.arraycopy(BatchCodingTest.text(random, 1 << 20), 0, data, 0, 1 << 20);
        byte[] noise = new byte[(1 << 20) - 8192];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, data, (1 << 20) + 8192, noise.length);
        data[data.length - 1] = 9;
        List<ByteBuffer> chunks = new ArrayList<>();
        new BatchEncoder(new ZstdCodec(1), 1).encode(ByteBuffer.wrap(data), 4096, 3, chunks::add);
        ByteBuffer expected = ByteBuffer.allocate(chunks.stream().mapToInt(ByteBuffer::remaining).sum());
        chunks.forEach(c -> expected.put(c.duplicate()));

        ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
        ByteBuffer out = ByteBuffer.allocateDirect(BatchEncoder.maxEncodedSize(data.length));
        new BatchEncoder(new ZstdCodec(1), 1).encodeInto(direct, 4096, 3, out);
        assertEquals(0, direct.position(), "the data is not consumed");
        byte[] got = new byte[out.flip().remaining()];
        out.get(got);
        assertArrayEquals(expected.array(), got, "seed " + seed);
        assertTrue(chunks.size() >= 3, "zero, encoded and raw batches: " + chunks.size());
        ChunkHeader last = ChunkHeader.decode(chunks.getLast().duplicate());
        assertEquals(NbdConstants.REPLY_FLAG_DONE, last.flags() & NbdConstants.REPLY_FLAG_DONE);
    }

    @Test
    void theBoundHoldsForTheWorstMixOfZeroAndDataBlocks() {
        byte[] data = new byte[64 * BatchEncoder.BLOCK + 1];
        for (int at = 0; at < data.length; at += 2 * BatchEncoder.BLOCK) {
            data[at] = 1; // every other block is data: as many runs as blocks
        }
        ByteBuffer out = ByteBuffer.allocate(BatchEncoder.maxEncodedSize(data.length));
        new BatchEncoder(new ZstdCodec(1), 1).encodeInto(ByteBuffer.wrap(data), 0, 1, out);
        assertTrue(out.position() <= out.capacity());
    }
}
