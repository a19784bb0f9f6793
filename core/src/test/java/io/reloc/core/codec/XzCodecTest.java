package io.reloc.core.codec;

import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The codec's streams are plain xz streams, the same as Commons Compress writes and reads: a peer
 * that encodes or decodes xz with it understands this one, whatever array cache either side uses.
 */
class XzCodecTest {
    private static byte[] payload() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            text.append("line ").append(i % 97).append(" of a compressible payload\n");
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void whatItEncodesCommonsCompressDecodes() throws IOException {
        byte[] data = payload();
        ByteBuffer encoded = new XzCodec().encode(ByteBuffer.wrap(data));
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        assertTrue(bytes.length < data.length / 4, "compressed: " + bytes.length + " of " + data.length);
        try (XZCompressorInputStream in = new XZCompressorInputStream(new ByteArrayInputStream(bytes))) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void whatCommonsCompressEncodesItDecodes() throws IOException {
        byte[] data = payload();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (XZCompressorOutputStream xz = new XZCompressorOutputStream(out, 1)) {
            xz.write(data);
        }
        ByteBuffer decoded = new XzCodec().decode(ByteBuffer.wrap(out.toByteArray()), data.length);
        byte[] back = new byte[decoded.remaining()];
        decoded.get(back);
        assertArrayEquals(data, back);
    }
}
