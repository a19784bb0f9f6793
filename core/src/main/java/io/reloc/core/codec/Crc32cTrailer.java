package io.reloc.core.codec;

import io.reloc.core.codec.ArrayCodec.CorruptInputException;

import java.util.zip.CRC32C;

/**
 * A CRC-32C of the decoded payload, 4 bytes big-endian after the encoded bytes, for formats without
 * a checksum of their own (LZ4 blocks, Zstandard frames as zstd-jni writes them by default).
 * CRC-32C is computed with the CPU's CRC instruction, so it costs far less than the compression.
 */
final class Crc32cTrailer {
    static final int LENGTH = 4;

    private Crc32cTrailer() {}

    /** Writes the checksum of {@code src[offset, offset + length)} at {@code dst[end]}; returns the new end. */
    static int append(byte[] src, int offset, int length, byte[] dst, int end) {
        int crc = crc(src, offset, length);
        dst[end] = (byte) (crc >>> 24);
        dst[end + 1] = (byte) (crc >>> 16);
        dst[end + 2] = (byte) (crc >>> 8);
        dst[end + 3] = (byte) crc;
        return end + LENGTH;
    }

    /** The length of the encoded bytes before the trailer. */
    static int bodyLength(int encodedLength) throws CorruptInputException {
        if (encodedLength < LENGTH) {
            throw new CorruptInputException("only " + encodedLength + " bytes, too short for the checksum");
        }
        return encodedLength - LENGTH;
    }

    /** Checks {@code decoded} against the trailer at {@code src[at]}. */
    static void verify(byte[] src, int at, byte[] decoded) throws CorruptInputException {
        int expected = (src[at] & 0xff) << 24 | (src[at + 1] & 0xff) << 16 | (src[at + 2] & 0xff) << 8
                | (src[at + 3] & 0xff);
        int actual = crc(decoded, 0, decoded.length);
        if (actual != expected) {
            throw new CorruptInputException("checksum mismatch (CRC-32C " + Integer.toHexString(actual)
                    + ", expected " + Integer.toHexString(expected) + ")");
        }
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
