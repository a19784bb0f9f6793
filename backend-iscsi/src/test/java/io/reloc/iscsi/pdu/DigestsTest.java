package io.reloc.iscsi.pdu;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** CRC32C vectors from RFC 3720 Appendix B.4 (unchanged in RFC 7143), in wire byte order. */
class DigestsTest {

    private static String wire(int digest) {
        byte[] b = new byte[4];
        Digests.putLittleEndian(b, 0, digest);
        return HexFormat.of().formatHex(b);
    }

    @Test
    void zeroes() {
        assertEquals("aa36918a", wire(Digests.crc32c(new byte[32], 0, 32)));
    }

    @Test
    void ones() {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) 0xff);
        assertEquals("43aba862", wire(Digests.crc32c(b, 0, 32)));
    }

    @Test
    void incrementingAndDecrementing() {
        byte[] up = new byte[32];
        byte[] down = new byte[32];
        for (int i = 0; i < 32; i++) {
            up[i] = (byte) i;
            down[i] = (byte) (31 - i);
        }
        assertEquals("4e79dd46", wire(Digests.crc32c(up, 0, 32)));
        assertEquals("5cdb3f11", wire(Digests.crc32c(down, 0, 32)));
    }

    @Test
    void readCommandPdu() {
        byte[] pdu = HexFormat.of().parseHex("01c00000000000000000000000000000" + "14000000000004000000001400000018"
                + "28000000000000000200000000000000");
        assertEquals("563a96d9", wire(Digests.headerDigest(pdu, new byte[0])));
    }

    @Test
    void dataDigestCoversPadding() {
        byte[] data = {1, 2, 3};
        assertEquals(Digests.crc32c(new byte[] {1, 2, 3, 0}, 0, 4), Digests.dataDigest(data));
    }

    @Test
    void littleEndianRoundTrip() {
        byte[] b = new byte[6];
        Digests.putLittleEndian(b, 1, 0x8a9136aa);
        assertEquals(0x8a9136aa, Digests.getLittleEndian(b, 1));
        assertEquals((byte) 0xaa, b[1]);
    }
}
