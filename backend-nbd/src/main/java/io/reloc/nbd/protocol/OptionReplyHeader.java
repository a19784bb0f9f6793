package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

import static io.reloc.nbd.protocol.NbdConstants.OPTION_REPLY_MAGIC;

/**
 * The 20-byte header of a server option reply: magic, u32 option, u32 reply type, u32 data
 * length. The data follows.
 */
public record OptionReplyHeader(int option, int type, long length) {
    public static final int SIZE = 20;

    public void encode(ByteBuffer dst) {
        dst.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt((int) length);
    }

    /** Whether the type is one of the REP_ERR_* values (bit 31 set). */
    public boolean isError() {
        return (type & NbdConstants.REP_FLAG_ERROR) != 0;
    }

    public static OptionReplyHeader decode(ByteBuffer src) throws NbdProtocolException {
        long magic = NbdStrings.getLong(src, "option reply header");
        if (magic != OPTION_REPLY_MAGIC) {
            throw NbdProtocolException.badMagic("option reply", OPTION_REPLY_MAGIC, magic, 16);
        }
        int option = NbdStrings.getInt(src, "option reply header");
        int type = NbdStrings.getInt(src, "option reply header");
        return new OptionReplyHeader(option, type, Integer.toUnsignedLong(NbdStrings.getInt(src, "option reply header")));
    }

    /** A whole reply (header and data), flipped. */
    public static ByteBuffer encodeReply(int option, int type, ByteBuffer data) {
        ByteBuffer out = ByteBuffer.allocate(SIZE + data.remaining());
        new OptionReplyHeader(option, type, data.remaining()).encode(out);
        return out.put(data.duplicate()).flip();
    }

    /** An error reply whose data is a message for the user. */
    public static ByteBuffer encodeError(int option, int type, String message) {
        return encodeReply(option, type, ByteBuffer.wrap(message.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
