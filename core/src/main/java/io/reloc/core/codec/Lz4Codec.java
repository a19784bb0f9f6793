package io.reloc.core.codec;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;

/**
 * LZ4 blocks with the fast compressor: cheap enough to pay off on gigabit links. Decoding uses the
 * bounds-checked ("safe") decompressor, so corrupt input fails instead of reading out of bounds.
 * An LZ4 block has no checksum of its own, so a CRC-32C of the payload follows it (see
 * {@link Crc32cTrailer}): a flipped bit on the wire fails decoding instead of corrupting the disk.
 */
public final class Lz4Codec extends ArrayCodec {
    public static final String NAME = "lz4";

    private static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    private final LZ4Compressor compressor = FACTORY.fastCompressor();
    private final LZ4SafeDecompressor decompressor = FACTORY.safeDecompressor();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    ByteBuffer encode(byte[] src, int offset, int length) {
        byte[] dst = new byte[compressor.maxCompressedLength(length) + Crc32cTrailer.LENGTH];
        int encoded = compressor.compress(src, offset, length, dst, 0, dst.length - Crc32cTrailer.LENGTH);
        encoded = Crc32cTrailer.append(src, offset, length, dst, encoded);
        return ByteBuffer.wrap(dst, 0, encoded).slice();
    }

    @Override
    void decode(byte[] src, int offset, int length, byte[] dst) throws CorruptInputException {
        int body = Crc32cTrailer.bodyLength(length);
        int decoded = decompressor.decompress(src, offset, body, dst, 0, dst.length);
        if (decoded != dst.length) {
            throw new CorruptInputException("decodes to " + decoded + " bytes, not " + dst.length);
        }
        Crc32cTrailer.verify(src, offset + body, dst);
    }
}
