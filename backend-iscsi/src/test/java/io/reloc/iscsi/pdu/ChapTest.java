package io.reloc.iscsi.pdu;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChapTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void md5OfIdentifierSecretChallenge() {
        // MD5 of the single byte 0: the empty secret and challenge leave only the identifier.
        assertEquals("93b885adfe0da089cdf634904fd59f71", HEX.formatHex(Chap.response(0, new byte[0], new byte[0])));
        byte[] challenge = new byte[16];
        for (int i = 0; i < 16; i++) {
            challenge[i] = (byte) i;
        }
        assertEquals("6ecf51cbe0f7ac32d9cd952f3fd639c0", HEX.formatHex(Chap.response(7, "secretsecret", challenge)));
    }

    @Test
    void decodesHexAndBase64() {
        byte[] v = HEX.parseHex("0123456789abcdef");
        assertArrayEquals(v, Chap.decode("0x0123456789abcdef"));
        assertArrayEquals(v, Chap.decode("0X0123456789ABCDEF"));
        assertArrayEquals(v, Chap.decode("0bASNFZ4mrze8="));
        assertArrayEquals(v, Chap.decode("0BASNFZ4mrze8="));
        assertArrayEquals(new byte[] {0x01, 0x23}, Chap.decode("0x123"));
    }

    @Test
    void rejectsOtherEncodings() {
        assertThrows(IllegalArgumentException.class, () -> Chap.decode("0123"));
        assertThrows(IllegalArgumentException.class, () -> Chap.decode("0x"));
        assertThrows(IllegalArgumentException.class, () -> Chap.decode("0xzz"));
        assertThrows(IllegalArgumentException.class, () -> Chap.decode("0b!!!!"));
    }

    @Test
    void encodesHexAndCompares() {
        assertEquals("0x00ff", Chap.encodeHex(new byte[] {0, -1}));
        assertTrue(Chap.matches(new byte[] {1, 2}, new byte[] {1, 2}));
        assertFalse(Chap.matches(new byte[] {1, 2}, new byte[] {1, 3}));
    }
}
