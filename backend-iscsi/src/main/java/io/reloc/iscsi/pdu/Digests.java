package io.reloc.iscsi.pdu;

import java.util.zip.CRC32C;

/**
 * CRC32C header and data digests (RFC 7143 §13.1, Appendix B.4). On the wire the 32-bit value is
 * sent least significant byte first, so 32 zero bytes give {@code aa 36 91 8a}.
 */
public final class Digests {
    private Digests() {}

    public static int crc32c(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** The digest of a data segment including its zero padding to a multiple of four. */
    public static int dataDigest(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length);
        int pad = PduCodec.padding(data.length);
        if (pad > 0) {
            crc.update(new byte[pad], 0, pad);
        }
        return (int) crc.getValue();
    }

    /** The digest of a BHS followed by AHS. */
    public static int headerDigest(byte[] bhs, byte[] ahs) {
        CRC32C crc = new CRC32C();
        crc.update(bhs, 0, bhs.length);
        crc.update(ahs, 0, ahs.length);
        return (int) crc.getValue();
    }

    static void putLittleEndian(byte[] dst, int offset, int value) {
        dst[offset] = (byte) value;
        dst[offset + 1] = (byte) (value >>> 8);
        dst[offset + 2] = (byte) (value >>> 16);
        dst[offset + 3] = (byte) (value >>> 24);
    }

    static int getLittleEndian(byte[] src, int offset) {
        return (src[offset] & 0xff) | ((src[offset + 1] & 0xff) << 8) | ((src[offset + 2] & 0xff) << 16)
                | ((src[offset + 3] & 0xff) << 24);
    }
}
