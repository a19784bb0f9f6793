package io.reloc.core.codec;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * bzip2 streams (Apache Commons Compress): a high ratio for slow links, at a high CPU cost. The
 * block size is an upper bound: a payload smaller than a block is compressed in a block just
 * large enough for it, the same stream, without the encoder's arrays for a full 900 kB block
 * (several megabytes, allocated for every payload and every trial of the adaptive choice).
 */
public final class Bzip2Codec extends StreamCodec {
    public static final String NAME = "bzip2";

    private final int blockSize;

    public Bzip2Codec() {
        this(BZip2CompressorOutputStream.MAX_BLOCKSIZE);
    }

    /** @param blockSize 1 to 9, in units of 100 kB, as {@code bzip2 -1} to {@code -9} */
    public Bzip2Codec(int blockSize) {
        if (blockSize < BZip2CompressorOutputStream.MIN_BLOCKSIZE || blockSize > BZip2CompressorOutputStream.MAX_BLOCKSIZE) {
            throw new IllegalArgumentException("bzip2 block size must be in [1, 9]: " + blockSize);
        }
        this.blockSize = blockSize;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    OutputStream compressing(OutputStream out, int length) throws IOException {
        return new BZip2CompressorOutputStream(out, blockFor(length));
    }

    /** The block size for a payload: enough 100 kB units to hold it, at most the configured size. */
    int blockFor(int length) {
        return (int) Math.clamp((length + 99_999L) / 100_000, BZip2CompressorOutputStream.MIN_BLOCKSIZE, blockSize);
    }

    @Override
    InputStream decompressing(InputStream in) throws IOException {
        return new BZip2CompressorInputStream(in, false);
    }
}
