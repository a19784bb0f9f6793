package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

import static io.reloc.nbd.protocol.NbdConstants.REQUEST_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.REQUEST_MAGIC;

/**
 * The 28-byte header of a transmission request: magic, u16 flags, u16 type, u64 cookie, u64
 * offset, u32 length. A WRITE's payload follows it.
 *
 * @param offset unsigned on the wire; a value with bit 63 set decodes as negative and is out of range
 * @param length 0 to 2^32 - 1
 */
public record Request(int flags, int type, long cookie, long offset, long length) {

    public void encode(ByteBuffer dst) {
        dst.putInt(REQUEST_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putLong(offset).putInt((int) length);
    }

    public ByteBuffer encode() {
        ByteBuffer out = ByteBuffer.allocate(REQUEST_HEADER_SIZE);
        encode(out);
        return out.flip();
    }

    /**
     * Reads a header from the next 28 bytes of {@code src}.
     *
     * @throws NbdProtocolException on a bad magic (the message shows it in hex) or fewer than 28 bytes
     */
    public static Request decode(ByteBuffer src) throws NbdProtocolException {
        if (src.remaining() < REQUEST_HEADER_SIZE) {
            throw new NbdProtocolException("truncated request header: " + src.remaining() + " of " + REQUEST_HEADER_SIZE + " bytes");
        }
        int magic = src.getInt();
        if (magic != REQUEST_MAGIC) {
            throw NbdProtocolException.badMagic("request", REQUEST_MAGIC, Integer.toUnsignedLong(magic), 8);
        }
        int flags = Short.toUnsignedInt(src.getShort());
        int type = Short.toUnsignedInt(src.getShort());
        long cookie = src.getLong();
        long offset = src.getLong();
        long length = Integer.toUnsignedLong(src.getInt());
        return new Request(flags, type, cookie, offset, length);
    }

    /** Whether every bit of {@code flag} is set. */
    public boolean has(int flag) {
        return (flags & flag) == flag;
    }
}
