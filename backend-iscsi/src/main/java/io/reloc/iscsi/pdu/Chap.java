package io.reloc.iscsi.pdu;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * CHAP with MD5 (RFC 1994, as RFC 7143 §12.1.3 uses it): the response is MD5 over the identifier
 * byte, the secret and the challenge. Binary values travel as {@code 0x} hex or {@code 0b} base64
 * (RFC 7143 §6.1). Stateless and thread safe.
 */
public final class Chap {
    /** CHAP_A value for MD5, the only algorithm offered. */
    public static final int MD5 = 5;

    private Chap() {}

    public static byte[] response(int identifier, byte[] secret, byte[] challenge) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            md5.update((byte) identifier);
            md5.update(secret);
            md5.update(challenge);
            return md5.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no MD5, which CHAP needs", e);
        }
    }

    public static byte[] response(int identifier, String secret, byte[] challenge) {
        return response(identifier, secret.getBytes(StandardCharsets.UTF_8), challenge);
    }

    /**
     * Decodes a binary value in {@code 0x}/{@code 0X} hex or {@code 0b}/{@code 0B} base64.
     *
     * @throws IllegalArgumentException on any other form or bad digits
     */
    public static byte[] decode(String value) {
        if (value.length() < 3) {
            throw new IllegalArgumentException("binary value too short: '" + value + "'");
        }
        String prefix = value.substring(0, 2);
        String body = value.substring(2);
        return switch (prefix) {
            case "0x", "0X" -> {
                // An odd number of hex digits has an implied leading zero.
                yield HexFormat.of().parseHex(body.length() % 2 == 1 ? "0" + body : body);
            }
            case "0b", "0B" -> Base64.getDecoder().decode(body);
            default -> throw new IllegalArgumentException("binary value must start with 0x or 0b: '" + value + "'");
        };
    }

    public static String encodeHex(byte[] value) {
        return "0x" + HexFormat.of().formatHex(value);
    }

    /** Constant-time comparison, so a wrong response does not tell how much of it was right. */
    public static boolean matches(byte[] expected, byte[] got) {
        return MessageDigest.isEqual(expected, got);
    }
}
