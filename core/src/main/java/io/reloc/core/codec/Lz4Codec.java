package io.reloc.core.codec;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

import java.nio.ByteBuffer;

/**
 * LZ4 blocks with the fast compressor: cheap enough to pay off on gigabit links. Decoding uses the
 * bounds-checked ("safe") decompressor, so corrupt input fails instead of reading out of bounds.
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
        byte[] dst = new byte[compressor.maxCompressedLength(length)];
        int encoded = compressor.compress(src, offset, length, dst, 0, dst.length);
        return ByteBuffer.wrap(dst, 0, encoded).slice();
    }

    @Override
    void decode(byte[] src, int offset, int length, byte[] dst) throws CorruptInputException {
        int decoded = decompressor.decompress(src, offset, length, dst, 0, dst.length);
        if (decoded != dst.length) {
            throw new CorruptInputException("decodes to " + decoded + " bytes, not " + dst.length);
        }
    }
}
