package io.reloc.core.codec;

import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * xz streams (Apache Commons Compress over XZ for Java): the highest ratio, for the slowest links.
 * The default preset is 1, not xz's 6: its 1 MiB dictionary already spans a typical payload, and
 * the encoder needs about 10 MiB per call instead of about 100 MiB. Decoding refuses streams that
 * would need more than {@value #DECODE_MEMORY_LIMIT_KIB} KiB, so a corrupt header cannot exhaust memory.
 */
public final class XzCodec extends StreamCodec {
    public static final String NAME = "xz";
    public static final int DEFAULT_PRESET = 1;
    static final int DECODE_MEMORY_LIMIT_KIB = 128 * 1024;

    private final int preset;

    public XzCodec() {
        this(DEFAULT_PRESET);
    }

    /** @param preset 0 to 9, as {@code xz -0} to {@code -9} */
    public XzCodec(int preset) {
        if (preset < 0 || preset > 9) {
            throw new IllegalArgumentException("xz preset must be in [0, 9]: " + preset);
        }
        this.preset = preset;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    OutputStream compressing(OutputStream out) throws IOException {
        return new XZCompressorOutputStream(out, preset);
    }

    @Override
    InputStream decompressing(InputStream in) throws IOException {
        return new XZCompressorInputStream(in, false, DECODE_MEMORY_LIMIT_KIB);
    }
}
