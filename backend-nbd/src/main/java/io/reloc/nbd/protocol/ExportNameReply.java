package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

/**
 * What the server sends after a successful NBD_OPT_EXPORT_NAME: u64 size, u16 transmission flags,
 * then 124 zero bytes unless both sides agreed on NO_ZEROES. There is no option reply header.
 */
public record ExportNameReply(long size, int transmissionFlags) {
    /** Bytes of size and flags. */
    public static final int SIZE = 10;
    /** Padding that follows unless NO_ZEROES was agreed. */
    public static final int ZEROES = 124;

    /** The reply, with the padding unless {@code noZeroes}, flipped. */
    public ByteBuffer encode(boolean noZeroes) {
        ByteBuffer out = ByteBuffer.allocate(SIZE + (noZeroes ? 0 : ZEROES));
        out.putLong(size).putShort((short) transmissionFlags);
        return out.position(out.limit()).flip();
    }

    /** Decodes size and flags from the next 10 bytes; the caller skips the padding. */
    public static ExportNameReply decode(ByteBuffer src) throws NbdProtocolException {
        long size = NbdStrings.getLong(src, "export name reply");
        if (size < 0) {
            throw new NbdProtocolException("export size " + Long.toUnsignedString(size) + " is too large");
        }
        return new ExportNameReply(size, Short.toUnsignedInt(NbdStrings.getShort(src, "export name reply")));
    }
}
