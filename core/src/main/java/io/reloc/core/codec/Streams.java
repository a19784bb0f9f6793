package io.reloc.core.codec;

import io.reloc.core.codec.ArrayCodec.CorruptInputException;

import java.io.IOException;
import java.io.InputStream;

/** Reads decompressor streams to an exact length. */
final class Streams {
    private Streams() {}

    /** Fills {@code dst} from {@code in} and checks that the stream ends there. */
    static void readExactly(InputStream in, byte[] dst) throws IOException, CorruptInputException {
        int read = in.readNBytes(dst, 0, dst.length);
        if (read != dst.length) {
            throw new CorruptInputException("decodes to " + read + " bytes, not " + dst.length);
        }
        if (in.read() != -1) {
            throw new CorruptInputException("decodes to more than " + dst.length + " bytes");
        }
    }
}
