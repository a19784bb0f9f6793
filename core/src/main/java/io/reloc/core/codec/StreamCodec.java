package io.reloc.core.codec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A codec over a compression library's stream classes (Commons Compress): each payload is one
 * whole stream, written at once and read back to exactly the payload's length.
 */
abstract class StreamCodec extends ArrayCodec {

    /**
     * A compressing stream writing into {@code out}, for a payload of {@code length} bytes;
     * closing it finishes the stream.
     */
    abstract OutputStream compressing(OutputStream out, int length) throws IOException;

    /** A decompressing stream over {@code in}, stopping at the end of the first stream. */
    abstract InputStream decompressing(InputStream in) throws IOException;

    @Override
    final ByteBuffer encode(byte[] src, int offset, int length) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 2));
        try (OutputStream compressor = compressing(out, length)) {
            compressor.write(src, offset, length);
        }
        return ByteBuffer.wrap(out.toByteArray());
    }

    @Override
    final void decode(byte[] src, int offset, int length, byte[] dst) throws IOException, CorruptInputException {
        try (InputStream in = decompressing(new ByteArrayInputStream(src, offset, length))) {
            Streams.readExactly(in, dst);
        }
    }
}
