package io.reloc.core.codec;

import org.tukaani.xz.ArrayCache;
import org.tukaani.xz.BasicArrayCache;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.SingleXZInputStream;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * xz streams (XZ for Java, the library under Commons Compress's xz support): the highest ratio,
 * for the slowest links. The default preset is 1, not xz's 6: its 1 MiB dictionary already spans a
 * typical payload, and the encoder needs about 10 MiB per call instead of about 100 MiB. Those
 * arrays come from a shared cache and go back to it when a stream ends: allocated afresh for every
 * payload (and every trial of the adaptive choice), they were megabytes of short-lived garbage in
 * large objects, which set off collections whose pauses stalled the transfer. Decoding refuses
 * streams that would need more than {@value #DECODE_MEMORY_LIMIT_KIB} KiB, so a corrupt header
 * cannot exhaust memory.
 */
public final class XzCodec extends StreamCodec {
    public static final String NAME = "xz";
    public static final int DEFAULT_PRESET = 1;
    static final int DECODE_MEMORY_LIMIT_KIB = 128 * 1024;

    /** Thread safe; arrays are held by soft references, so memory pressure still frees them. */
    private static final ArrayCache ARRAYS = BasicArrayCache.getInstance();

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
    OutputStream compressing(OutputStream out, int length) throws IOException {
        return new XZOutputStream(out, new LZMA2Options(preset), XZ.CHECK_CRC64, ARRAYS);
    }

    @Override
    InputStream decompressing(InputStream in) throws IOException {
        return new SingleXZInputStream(in, DECODE_MEMORY_LIMIT_KIB, ARRAYS);
    }
}
