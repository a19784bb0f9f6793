package io.reloc.core.codec;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** bzip2 streams (Apache Commons Compress): a high ratio for slow links, at a high CPU cost. */
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
    OutputStream compressing(OutputStream out) throws IOException {
        return new BZip2CompressorOutputStream(out, blockSize);
    }

    @Override
    InputStream decompressing(InputStream in) throws IOException {
        return new BZip2CompressorInputStream(in, false);
    }
}
