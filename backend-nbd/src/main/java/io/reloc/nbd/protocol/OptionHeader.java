package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

import static io.reloc.nbd.protocol.NbdConstants.IHAVEOPT;

/**
 * The 16-byte header of a client option request: {@code IHAVEOPT}, u32 option, u32 data length.
 * The data follows.
 *
 * @param length data length, 0 to 2^32 - 1
 */
public record OptionHeader(int option, long length) {
    public static final int SIZE = 16;

    public void encode(ByteBuffer dst) {
        dst.putLong(IHAVEOPT).putInt(option).putInt((int) length);
    }

    /** A whole option request (header and data), flipped. */
    public static ByteBuffer encodeRequest(int option, ByteBuffer data) {
        ByteBuffer out = ByteBuffer.allocate(SIZE + data.remaining());
        new OptionHeader(option, data.remaining()).encode(out);
        return out.put(data.duplicate()).flip();
    }

    public static OptionHeader decode(ByteBuffer src) throws NbdProtocolException {
        long magic = NbdStrings.getLong(src, "option header");
        if (magic != IHAVEOPT) {
            throw NbdProtocolException.badMagic("option request", IHAVEOPT, magic, 16);
        }
        int option = NbdStrings.getInt(src, "option header");
        long length = Integer.toUnsignedLong(NbdStrings.getInt(src, "option header"));
        return new OptionHeader(option, length);
    }
}
