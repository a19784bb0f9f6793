package io.reloc.nbd.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strings as NBD sends them: UTF-8, no NUL, at most {@value NbdConstants#MAX_STRING_LENGTH} bytes. */
public final class NbdStrings {
    private NbdStrings() {}

    /** Reads a u32 length and that many bytes of UTF-8. */
    public static String getPrefixed(ByteBuffer src, String what) throws NbdProtocolException {
        long length = Integer.toUnsignedLong(getInt(src, what + " length"));
        return getFixed(src, length, what);
    }

    /** Reads {@code length} bytes of UTF-8. */
    public static String getFixed(ByteBuffer src, long length, String what) throws NbdProtocolException {
        if (length > MAX) {
            throw new NbdProtocolException(what + " is " + length + " bytes long; the limit is " + MAX);
        }
        if (length > src.remaining()) {
            throw new NbdProtocolException(what + " claims " + length + " bytes but only " + src.remaining() + " follow");
        }
        ByteBuffer bytes = src.slice(src.position(), (int) length);
        src.position(src.position() + (int) length);
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new NbdProtocolException(what + " is not valid UTF-8");
        }
        if (s.indexOf('\0') >= 0) {
            throw new NbdProtocolException(what + " contains a NUL byte");
        }
        return s;
    }

    /** Writes a u32 length and the UTF-8 bytes. */
    public static void putPrefixed(ByteBuffer dst, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        dst.putInt(bytes.length).put(bytes);
    }

    public static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static int getInt(ByteBuffer src, String what) throws NbdProtocolException {
        try {
            return src.getInt();
        } catch (BufferUnderflowException e) {
            throw new NbdProtocolException("truncated " + what + ": " + src.remaining() + " bytes left, 4 needed");
        }
    }

    static short getShort(ByteBuffer src, String what) throws NbdProtocolException {
        try {
            return src.getShort();
        } catch (BufferUnderflowException e) {
            throw new NbdProtocolException("truncated " + what + ": " + src.remaining() + " bytes left, 2 needed");
        }
    }

    static long getLong(ByteBuffer src, String what) throws NbdProtocolException {
        try {
            return src.getLong();
        } catch (BufferUnderflowException e) {
            throw new NbdProtocolException("truncated " + what + ": " + src.remaining() + " bytes left, 8 needed");
        }
    }

    private static final int MAX = NbdConstants.MAX_STRING_LENGTH;
}
