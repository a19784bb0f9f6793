package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

import static io.reloc.nbd.protocol.NbdConstants.IHAVEOPT;
import static io.reloc.nbd.protocol.NbdConstants.NBDMAGIC;

/**
 * The 18-byte server greeting of the fixed newstyle handshake: {@code NBDMAGIC}, {@code IHAVEOPT},
 * u16 handshake flags.
 */
public record Greeting(int handshakeFlags) {
    public static final int SIZE = 18;

    public ByteBuffer encode() {
        return ByteBuffer.allocate(SIZE).putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) handshakeFlags).flip();
    }

    /** @throws NbdProtocolException on a bad magic or fewer than 18 bytes */
    public static Greeting decode(ByteBuffer src) throws NbdProtocolException {
        long magic = NbdStrings.getLong(src, "greeting");
        if (magic != NBDMAGIC) {
            throw NbdProtocolException.badMagic("greeting", NBDMAGIC, magic, 16);
        }
        long opt = NbdStrings.getLong(src, "greeting");
        if (opt != IHAVEOPT) {
            throw new NbdProtocolException(String.format(
                    "server greeting 0x%016x is not IHAVEOPT: the server speaks the oldstyle handshake, which is not supported", opt));
        }
        return new Greeting(Short.toUnsignedInt(NbdStrings.getShort(src, "greeting")));
    }
}
