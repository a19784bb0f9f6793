package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;

/**
 * A reply header of either kind, as a client reads them: the magic tells a simple reply (16 bytes)
 * from a structured chunk (20 bytes).
 */
public sealed interface ReplyHeader {

    long cookie();

    /** A simple reply. */
    record Simple(SimpleReply reply) implements ReplyHeader {
        public long cookie() {
            return reply.cookie();
        }
    }

    /** A structured reply chunk. */
    record Chunk(ChunkHeader header) implements ReplyHeader {
        public long cookie() {
            return header.cookie();
        }
    }

    /** Bytes needed to know the header's size: the 4-byte magic. */
    int MAGIC_SIZE = 4;

    /** The size of the header starting with {@code magic}. */
    static int sizeFor(int magic) throws NbdProtocolException {
        return switch (magic) {
            case NbdConstants.SIMPLE_REPLY_MAGIC -> NbdConstants.SIMPLE_REPLY_HEADER_SIZE;
            case NbdConstants.STRUCTURED_REPLY_MAGIC -> NbdConstants.CHUNK_HEADER_SIZE;
            default -> throw new NbdProtocolException(String.format(
                    "bad reply magic 0x%08x (expected 0x%08x or 0x%08x)", magic,
                    NbdConstants.SIMPLE_REPLY_MAGIC, NbdConstants.STRUCTURED_REPLY_MAGIC));
        };
    }

    static ReplyHeader decode(ByteBuffer src) throws NbdProtocolException {
        if (src.remaining() < MAGIC_SIZE) {
            throw new NbdProtocolException("truncated reply header: " + src.remaining() + " bytes");
        }
        int magic = src.getInt(src.position());
        return sizeFor(magic) == NbdConstants.SIMPLE_REPLY_HEADER_SIZE
                ? new Simple(SimpleReply.decode(src))
                : new Chunk(ChunkHeader.decode(src));
    }
}
