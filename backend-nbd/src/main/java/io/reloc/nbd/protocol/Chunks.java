package io.reloc.nbd.protocol;

import io.reloc.api.Extent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.CHUNK_BLOCK_STATUS;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_ERROR;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_ERROR_OFFSET;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_NONE;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_OFFSET_HOLE;
import static io.reloc.nbd.protocol.NbdConstants.STATE_HOLE;
import static io.reloc.nbd.protocol.NbdConstants.STATE_ZERO;

/**
 * Encoding and decoding of structured reply chunks: whole chunks (header and payload) are written
 * into a caller's buffer at its position; payloads are decoded from a buffer holding just the
 * payload.
 */
public final class Chunks {
    private Chunks() {}

    /** Header plus the u64 offset that precede the data of an OFFSET_DATA chunk. */
    public static final int OFFSET_DATA_PREFIX = CHUNK_HEADER_SIZE + 8;

    /** Writes the 28 bytes that precede the data of an OFFSET_DATA chunk at an absolute index. */
    public static void encodeOffsetDataPrefixAt(ByteBuffer dst, int index, int flags, long cookie, long offset, int dataLength) {
        ChunkHeader.encodeAt(dst, index, flags, NbdConstants.CHUNK_OFFSET_DATA, cookie, 8L + dataLength);
        dst.putLong(index + CHUNK_HEADER_SIZE, offset);
    }

    public static void encodeNone(ByteBuffer dst, long cookie) {
        new ChunkHeader(NbdConstants.REPLY_FLAG_DONE, CHUNK_NONE, cookie, 0).encode(dst);
    }

    public static void encodeHole(ByteBuffer dst, int flags, long cookie, long offset, int size) {
        new ChunkHeader(flags, CHUNK_OFFSET_HOLE, cookie, 12).encode(dst);
        dst.putLong(offset).putInt(size);
    }

    /** Bytes an ERROR chunk with this message takes. */
    public static int errorSize(String message) {
        return CHUNK_HEADER_SIZE + 6 + utf8(message).length;
    }

    public static void encodeError(ByteBuffer dst, int flags, long cookie, int errno, String message) {
        byte[] m = utf8(message);
        new ChunkHeader(flags, CHUNK_ERROR, cookie, 6 + m.length).encode(dst);
        dst.putInt(errno).putShort((short) m.length).put(m);
    }

    /** Bytes a BLOCK_STATUS chunk with {@code extents} descriptors takes. */
    public static int blockStatusSize(int extents) {
        return CHUNK_HEADER_SIZE + 4 + 8 * extents;
    }

    /** Writes a BLOCK_STATUS chunk; each extent must be at most 2^32 - 1 bytes long. */
    public static void encodeBlockStatus(ByteBuffer dst, int flags, long cookie, int contextId, List<Extent> extents) {
        new ChunkHeader(flags, CHUNK_BLOCK_STATUS, cookie, 4 + 8L * extents.size()).encode(dst);
        dst.putInt(contextId);
        for (Extent e : extents) {
            dst.putInt((int) e.length()).putInt((e.hole() ? STATE_HOLE : 0) | (e.zero() ? STATE_ZERO : 0));
        }
    }

    /** An ERROR or ERROR_OFFSET chunk's payload. {@code offset} is -1 for ERROR. */
    public record Error(int errno, String message, long offset) {}

    public static Error decodeError(int type, ByteBuffer payload) throws NbdProtocolException {
        int errno = NbdStrings.getInt(payload, "error chunk");
        int length = Short.toUnsignedInt(NbdStrings.getShort(payload, "error chunk"));
        int tail = type == CHUNK_ERROR_OFFSET ? 8 : 0;
        if (payload.remaining() != length + tail) {
            throw new NbdProtocolException("error chunk message of " + length + " bytes does not match the "
                    + payload.remaining() + " bytes that follow");
        }
        String message = NbdStrings.getFixed(payload, length, "error message");
        return new Error(errno, message, tail == 0 ? -1 : payload.getLong());
    }

    /** A BLOCK_STATUS chunk's payload: a context id and descriptors. */
    public record BlockStatus(int contextId, List<Descriptor> descriptors) {
        public BlockStatus {
            descriptors = List.copyOf(descriptors);
        }
    }

    /** One BLOCK_STATUS descriptor; {@code length} is unsigned. */
    public record Descriptor(long length, int flags) {}

    public static BlockStatus decodeBlockStatus(ByteBuffer payload) throws NbdProtocolException {
        if (payload.remaining() < 12 || (payload.remaining() - 4) % 8 != 0) {
            throw new NbdProtocolException("block status payload of " + payload.remaining()
                    + " bytes is not a context id plus whole 8-byte descriptors");
        }
        int id = payload.getInt();
        List<Descriptor> d = new ArrayList<>(payload.remaining() / 8);
        while (payload.hasRemaining()) {
            d.add(new Descriptor(Integer.toUnsignedLong(payload.getInt()), payload.getInt()));
        }
        return new BlockStatus(id, d);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
