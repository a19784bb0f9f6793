package io.reloc.core.codec;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A payload gets a block just large enough for it, never more than configured, in a plain bzip2 stream. */
class Bzip2CodecTest {
    @Test
    void theBlockFitsThePayload() {
        Bzip2Codec codec = new Bzip2Codec();
        assertEquals(1, codec.blockFor(0));
        assertEquals(1, codec.blockFor(100_000));
        assertEquals(2, codec.blockFor(100_001));
        assertEquals(9, codec.blockFor(1 << 20));
        assertEquals(3, new Bzip2Codec(3).blockFor(1 << 20), "the configured size is the most");
    }

    @Test
    void aPayloadLargerThanItsBlockRoundTripsAndIsStandardBzip2() throws IOException {
        byte[] data = new byte[350_000];
        Random random = new Random(35);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) ('a' + random.nextInt(4)); // compressible
        }
        Bzip2Codec codec = new Bzip2Codec(2); // 200 kB blocks: two of them
        ByteBuffer encoded = codec.encode(ByteBuffer.wrap(data));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.duplicate().get(bytes);
        ByteBuffer decoded = codec.decode(encoded, data.length);
        byte[] back = new byte[decoded.remaining()];
        decoded.get(back);
        assertArrayEquals(data, back);
        try (BZip2CompressorInputStream in = new BZip2CompressorInputStream(new ByteArrayInputStream(bytes))) {
            assertArrayEquals(data, in.readAllBytes(), "Commons Compress reads it as any bzip2 stream");
        }
    }
}
