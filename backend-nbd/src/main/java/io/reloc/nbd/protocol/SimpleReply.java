package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

import static io.reloc.nbd.protocol.NbdConstants.SIMPLE_REPLY_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.SIMPLE_REPLY_MAGIC;

/** The 16-byte simple reply header: magic, u32 error, u64 cookie. A successful READ's data follows. */
public record SimpleReply(int error, long cookie) {

    public void encode(ByteBuffer dst) {
        dst.putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(cookie);
    }

    /** Writes the header into {@code dst} at an absolute index, leaving its position alone. */
    public static void encodeAt(ByteBuffer dst, int index, int error, long cookie) {
        dst.putInt(index, SIMPLE_REPLY_MAGIC).putInt(index + 4, error).putLong(index + 8, cookie);
    }

    /** Decodes the header; a structured magic is an error here, use {@link ReplyHeader} when either may come. */
    public static SimpleReply decode(ByteBuffer src) throws NbdProtocolException {
        if (src.remaining() < SIMPLE_REPLY_HEADER_SIZE) {
            throw new NbdProtocolException("truncated simple reply: " + src.remaining() + " of 16 bytes");
        }
        int magic = src.getInt();
        if (magic != SIMPLE_REPLY_MAGIC) {
            throw NbdProtocolException.badMagic("simple reply", SIMPLE_REPLY_MAGIC, Integer.toUnsignedLong(magic), 8);
        }
        return new SimpleReply(src.getInt(), src.getLong());
    }
}
