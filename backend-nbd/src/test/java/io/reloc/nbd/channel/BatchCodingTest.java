package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.RelocChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server's batch encoder against the client's checking decoder, for every codec. */
class BatchCodingTest {

    /** Text-like bytes: words from a small vocabulary, as logs and source files are. */
    static byte[] text(Random random, int size) {
        String[] words = {"relocation", "block", "device", "the", "of", "kernel", "extent", "server", "0x1f3a",
                "error", "\n", "cache", "write", "read", "=", "{", "}", "volume", "2026-11-26"};
        StringBuilder sb = new StringBuilder(size + 16);
        while (sb.length() < size) {
            sb.append(words[random.nextInt(words.length)]).append(' ');
        }
        return sb.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    /** Chunks as a server would send them, and what a client decodes from them. */
    record Wire(List<ByteBuffer> chunks) {
        long bytes() {
            return chunks.stream().mapToLong(ByteBuffer::remaining).sum();
        }
    }

    static Wire encode(TransferCodec codec, byte[] data, long offset) throws Exception {
        List<ByteBuffer> chunks = new ArrayList<>();
        new BatchEncoder(codec, 1).encode(ByteBuffer.wrap(data), offset, 5, chunks::add);
        return new Wire(chunks);
    }

    static byte[] decode(Wire wire, List<TransferCodec> offer, long offset, int length, ChannelStats stats)
            throws NbdProtocolException {
        BatchDecoder decoder = new BatchDecoder(offer, stats);
        byte[] out = new byte[length];
        for (int i = 0; i < wire.chunks().size(); i++) {
            ByteBuffer c = wire.chunks().get(i).duplicate();
            ChunkHeader h = ChunkHeader.decode(c);
            assertEquals(NbdConstants.CHUNK_RELOC_BATCH, h.type());
            assertEquals(i == wire.chunks().size() - 1, h.done(), "DONE only on the last chunk");
            RelocChannel.Batch b = RelocChannel.decodeBatch(c, h.length());
            int at = (int) (b.offset() - offset);
            if (b.zero()) {
                stats.zero(b.decodedLength());
                continue;
            }
            decoder.decode(b, c.slice()).get(out, at, (int) b.decodedLength());
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"zstd", "lz4", "deflate", "bzip2", "xz"})
    void everyCodecRoundTripsMixedContent(String name) throws Exception {
        long seed = System.nanoTime();
        System.out.println("everyCodecRoundTripsMixedContent " + name + " seed " + seed);
        Random random = new Random(seed);
        TransferCodec codec = ChannelCodecs.standard().find(name).orElseThrow();
        // Text, then zeroes, then random bytes, then more text past one batch, and an odd tail.
        byte[] data = new byte[(3 << 20) + 777];
        System.arraycopy(text(random, 1 << 20), 0, data, 0, 1 << 20);
        byte[] noise = new byte[256 << 10];
        random.nextBytes(noise);
        System.arraycopy(noise, 0, data, (1 << 20) + (512 << 10), noise.length);
        byte[] more = text(random, data.length - (2 << 20));
        System.arraycopy(more, 0, data, 2 << 20, more.length);
        Wire wire = encode(codec, data, 1 << 30);
        ChannelStats stats = new ChannelStats();
        assertArrayEquals(data, decode(wire, List.of(codec), 1 << 30, data.length, stats), "seed " + seed);
        ChannelStats.Snapshot s = stats.snapshot();
        assertTrue(s.zeroBatches() >= 1, s.toString());
        assertTrue(s.rawBatches() >= 1, "random bytes go raw: " + s);
        assertTrue(s.encodedBatches() >= 2, s.toString());
        assertEquals(data.length, s.decodedBytes() + s.zeroBytes());
        System.out.printf("codec %s: %d bytes on the wire for %d (%.2fx)%n", name, wire.bytes(), data.length,
                (double) data.length / wire.bytes());
    }

    @Test
    void runsSplitAtZeroBlocksAndAtTheBatchLimit() {
        byte[] data = new byte[3 * BatchEncoder.MAX_BATCH + 3 * BatchEncoder.BLOCK];
        java.util.Arrays.fill(data, 0, 3 * BatchEncoder.MAX_BATCH, (byte) 1);
        List<int[]> runs = BatchEncoder.runs(ByteBuffer.wrap(data));
        assertEquals(4, runs.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(new int[] {i * BatchEncoder.MAX_BATCH, BatchEncoder.MAX_BATCH, 0}, runs.get(i));
        }
        assertArrayEquals(new int[] {3 * BatchEncoder.MAX_BATCH, 3 * BatchEncoder.BLOCK, 1}, runs.get(3));
    }

    @Test
    void corruptTruncatedMismatchedOrUnknownBatchesAreRefused() throws Exception {
        TransferCodec zstd = ChannelCodecs.standard().find("zstd").orElseThrow();
        byte[] data = text(new Random(1), 64 << 10);
        ByteBuffer encoded = zstd.encode(ByteBuffer.wrap(data));
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(data);
        int good = (int) crc.getValue();
        BatchDecoder decoder = new BatchDecoder(List.of(zstd), new ChannelStats());
        RelocChannel.Batch batch = new RelocChannel.Batch(0, data.length, good, 1);
        // Sanity: the untouched batch decodes.
        assertArrayEquals(data, bytes(decoder.decode(batch, encoded.duplicate())));

        ByteBuffer flipped = copy(encoded);
        flipped.put(flipped.limit() / 2, (byte) (flipped.get(flipped.limit() / 2) ^ 0x40));
        assertThrows(NbdProtocolException.class, () -> decoder.decode(batch, flipped));

        ByteBuffer truncated = copy(encoded).limit(encoded.remaining() - 10);
        assertThrows(NbdProtocolException.class, () -> decoder.decode(batch, truncated));

        assertThrows(NbdProtocolException.class,
                () -> decoder.decode(new RelocChannel.Batch(0, data.length - 1, good, 1), encoded.duplicate()));
        assertThrows(NbdProtocolException.class,
                () -> decoder.decode(new RelocChannel.Batch(0, data.length, good ^ 1, 1), encoded.duplicate()));
        assertThrows(NbdProtocolException.class,
                () -> decoder.decode(new RelocChannel.Batch(0, data.length, good, 2), encoded.duplicate()));
        // Raw bytes are checked too: identity has no checksum of its own.
        byte[] raw = data.clone();
        raw[100] ^= 1;
        assertThrows(NbdProtocolException.class,
                () -> decoder.decode(new RelocChannel.Batch(0, data.length, good, RelocChannel.RAW), ByteBuffer.wrap(raw)));
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate());
        return c.flip();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
