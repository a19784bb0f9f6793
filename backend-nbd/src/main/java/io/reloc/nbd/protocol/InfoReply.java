package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/**
 * The data of an NBD_REP_INFO reply: u16 information type and its payload. Unknown types decode to
 * {@link Unknown} so that a client can ignore them, as the protocol asks.
 */
public sealed interface InfoReply {

    int type();

    /** The reply data (type included), flipped. */
    ByteBuffer encode();

    /** NBD_INFO_EXPORT: u64 size, u16 transmission flags. */
    record Export(long size, int transmissionFlags) implements InfoReply {
        public int type() {
            return NbdConstants.INFO_EXPORT;
        }

        public ByteBuffer encode() {
            return ByteBuffer.allocate(12).putShort((short) type()).putLong(size).putShort((short) transmissionFlags).flip();
        }
    }

    /** NBD_INFO_NAME: the canonical export name. */
    record Name(String name) implements InfoReply {
        public Name {
            requireNonNull(name, "name is null");
        }

        public int type() {
            return NbdConstants.INFO_NAME;
        }

        public ByteBuffer encode() {
            return text(type(), name);
        }
    }

    /** NBD_INFO_DESCRIPTION: free text. */
    record Description(String description) implements InfoReply {
        public Description {
            requireNonNull(description, "description is null");
        }

        public int type() {
            return NbdConstants.INFO_DESCRIPTION;
        }

        public ByteBuffer encode() {
            return text(type(), description);
        }
    }

    /** NBD_INFO_BLOCK_SIZE: u32 minimum, preferred and maximum payload. */
    record BlockSize(int minimum, int preferred, int maximum) implements InfoReply {
        public int type() {
            return NbdConstants.INFO_BLOCK_SIZE;
        }

        public ByteBuffer encode() {
            return ByteBuffer.allocate(14).putShort((short) type()).putInt(minimum).putInt(preferred).putInt(maximum).flip();
        }
    }

    /** A type this code does not know; kept raw. */
    record Unknown(int type, ByteBuffer payload) implements InfoReply {
        public ByteBuffer encode() {
            ByteBuffer p = payload.duplicate();
            return ByteBuffer.allocate(2 + p.remaining()).putShort((short) type).put(p).flip();
        }
    }

    /** @throws NbdProtocolException when a known type has the wrong length */
    static InfoReply decode(ByteBuffer data) throws NbdProtocolException {
        int type = Short.toUnsignedInt(NbdStrings.getShort(data, "information type"));
        return switch (type) {
            case NbdConstants.INFO_EXPORT -> {
                expectLength(data, 10, "NBD_INFO_EXPORT");
                yield new Export(data.getLong(), Short.toUnsignedInt(data.getShort()));
            }
            case NbdConstants.INFO_NAME -> new Name(NbdStrings.getFixed(data, data.remaining(), "NBD_INFO_NAME"));
            case NbdConstants.INFO_DESCRIPTION ->
                    new Description(NbdStrings.getFixed(data, data.remaining(), "NBD_INFO_DESCRIPTION"));
            case NbdConstants.INFO_BLOCK_SIZE -> {
                expectLength(data, 12, "NBD_INFO_BLOCK_SIZE");
                yield new BlockSize(data.getInt(), data.getInt(), data.getInt());
            }
            default -> {
                ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
                yield new Unknown(type, copy.asReadOnlyBuffer());
            }
        };
    }

    private static void expectLength(ByteBuffer data, int length, String what) throws NbdProtocolException {
        if (data.remaining() != length) {
            throw new NbdProtocolException(what + " carries " + data.remaining() + " bytes after its type; expected " + length);
        }
    }

    private static ByteBuffer text(int type, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + b.length).putShort((short) type).put(b).flip();
    }
}
