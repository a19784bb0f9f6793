package io.reloc.core.codec;

import com.github.luben.zstd.Zstd;

import java.nio.ByteBuffer;

/**
 * Zstandard frames: the best ratio for its speed; level 3 unless told otherwise. A CRC-32C of the
 * payload follows the frame ({@link Crc32cTrailer}), as frames carry no checksum by default.
 */
public final class ZstdCodec extends ArrayCodec {
    public static final String NAME = "zstd";
    public static final int DEFAULT_LEVEL = 3;

    private final int level;

    public ZstdCodec() {
        this(DEFAULT_LEVEL);
    }

    /** @param level a Zstandard level, from {@code Zstd.minCompressionLevel()} (negative, fastest) to 22 */
    public ZstdCodec(int level) {
        if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
            throw new IllegalArgumentException("zstd level must be in [" + Zstd.minCompressionLevel() + ", "
                    + Zstd.maxCompressionLevel() + "]: " + level);
        }
        this.level = level;
    }

    public int level() {
        return level;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    ByteBuffer encode(byte[] src, int offset, int length) {
        byte[] dst = new byte[Math.toIntExact(Zstd.compressBound(length) + Crc32cTrailer.LENGTH)];
        long encoded = Zstd.compressByteArray(dst, 0, dst.length - Crc32cTrailer.LENGTH, src, offset, length, level);
        if (Zstd.isError(encoded)) {
            throw new IllegalStateException(Zstd.getErrorName(encoded));
        }
        int total = Crc32cTrailer.append(src, offset, length, dst, (int) encoded);
        return ByteBuffer.wrap(dst, 0, total).slice();
    }

    @Override
    void decode(byte[] src, int offset, int length, byte[] dst) throws CorruptInputException {
        int body = Crc32cTrailer.bodyLength(length);
        long decoded = Zstd.decompressByteArray(dst, 0, dst.length, src, offset, body);
        if (Zstd.isError(decoded)) {
            throw new CorruptInputException(Zstd.getErrorName(decoded));
        }
        if (decoded != dst.length) {
            throw new CorruptInputException("decodes to " + decoded + " bytes, not " + dst.length);
        }
        Crc32cTrailer.verify(src, offset + body, dst);
    }

    @Override
    public String toString() {
        return NAME + "(level " + level + ")";
    }
}
