package io.reloc.core.codec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/** zlib streams (deflate with an Adler-32 check) from {@code java.util.zip}: no native library to ship. */
public final class DeflateCodec extends ArrayCodec {
    public static final String NAME = "deflate";

    private final int level;

    public DeflateCodec() {
        this(Deflater.DEFAULT_COMPRESSION);
    }

    /** @param level 0 to 9, or -1 for zlib's default (6) */
    public DeflateCodec(int level) {
        if (level < -1 || level > 9) {
            throw new IllegalArgumentException("deflate level must be in [-1, 9]: " + level);
        }
        this.level = level;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    ByteBuffer encode(byte[] src, int offset, int length) {
        Deflater deflater = new Deflater(level);
        try {
            deflater.setInput(src, offset, length);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, length / 2));
            byte[] chunk = new byte[Math.min(Math.max(length, 64), 1 << 16)];
            while (!deflater.finished()) {
                int n = deflater.deflate(chunk);
                out.write(chunk, 0, n);
            }
            return ByteBuffer.wrap(out.toByteArray());
        } finally {
            deflater.end();
        }
    }

    @Override
    void decode(byte[] src, int offset, int length, byte[] dst) throws CorruptInputException, DataFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(src, offset, length);
            int filled = 0;
            byte[] probe = new byte[1];
            while (!inflater.finished()) {
                if (filled == dst.length) {
                    // The output is full; the stream must end here without producing more.
                    if (inflater.inflate(probe) > 0) {
                        throw new CorruptInputException("decodes to more than " + dst.length + " bytes");
                    }
                } else {
                    filled += inflater.inflate(dst, filled, dst.length - filled);
                }
                if (!inflater.finished() && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new CorruptInputException("truncated after " + filled + " decoded bytes");
                }
            }
            if (filled != dst.length) {
                throw new CorruptInputException("decodes to " + filled + " bytes, not " + dst.length);
            }
            if (inflater.getRemaining() != 0) {
                throw new CorruptInputException(inflater.getRemaining() + " bytes follow the end of the stream");
            }
        } finally {
            inflater.end();
        }
    }
}
