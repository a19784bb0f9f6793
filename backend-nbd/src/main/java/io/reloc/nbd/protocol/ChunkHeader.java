package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

import static io.reloc.nbd.protocol.NbdConstants.CHUNK_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.REPLY_FLAG_DONE;
import static io.reloc.nbd.protocol.NbdConstants.STRUCTURED_REPLY_MAGIC;

/**
 * The 20-byte header of a structured reply chunk: magic, u16 flags, u16 type, u64 cookie, u32
 * payload length.
 *
 * @param length payload length, 0 to 2^32 - 1
 */
public record ChunkHeader(int flags, int type, long cookie, long length) {

    public boolean done() {
        return (flags & REPLY_FLAG_DONE) != 0;
    }

    public void encode(ByteBuffer dst) {
        dst.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(cookie).putInt((int) length);
    }

    /** Writes the header at an absolute index, leaving the position alone. */
    public static void encodeAt(ByteBuffer dst, int index, int flags, int type, long cookie, long length) {
        dst.putInt(index, STRUCTURED_REPLY_MAGIC).putShort(index + 4, (short) flags).putShort(index + 6, (short) type)
                .putLong(index + 8, cookie).putInt(index + 16, (int) length);
    }

    public static ChunkHeader decode(ByteBuffer src) throws NbdProtocolException {
        if (src.remaining() < CHUNK_HEADER_SIZE) {
            throw new NbdProtocolException("truncated structured reply chunk: " + src.remaining() + " of 20 bytes");
        }
        int magic = src.getInt();
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw NbdProtocolException.badMagic("structured reply", STRUCTURED_REPLY_MAGIC, Integer.toUnsignedLong(magic), 8);
        }
        int flags = Short.toUnsignedInt(src.getShort());
        int type = Short.toUnsignedInt(src.getShort());
        long cookie = src.getLong();
        return new ChunkHeader(flags, type, cookie, Integer.toUnsignedLong(src.getInt()));
    }
}
