package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.function.Consumer;

import static io.reloc.nbd.protocol.NbdConstants.CHUNK_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_RELOC_DIRTY;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_RELOC_SESSION;
import static io.reloc.nbd.protocol.NbdConstants.REPLY_FLAG_DONE;

/**
 * Wire formats of Reloc's write tracking, the NBD extension behind hybrid pre-copy, used only
 * between Reloc peers (see {@code io.reloc.core.tracking.SourceTracking} for the semantics).
 *
 * <p>Negotiation: after STRUCTURED_REPLY and before GO the client sends
 * {@link NbdConstants#OPT_RELOC_TRACKING} whose data is a u32 length and the export's name. The
 * server answers ACK (no data) when that export records its writes, or ERR_UNSUP (the export is
 * not tracked, or the server is not Reloc: foreign servers answer ERR_UNSUP to unknown options).
 *
 * <p>Commands, all without payload and flags, valid only on a connection that negotiated it:
 * <ul>
 * <li>{@link NbdConstants#CMD_RELOC_TRACK}: offset 0, length = the granularity in bytes (a power
 *     of two from 512). Reply: one {@link NbdConstants#CHUNK_RELOC_SESSION} chunk with DONE whose
 *     payload is the u64 session id.</li>
 * <li>{@link NbdConstants#CMD_RELOC_DIRTY}: offset = the session id, length = the acknowledged
 *     round. Reply: one or more {@link NbdConstants#CHUNK_RELOC_DIRTY} chunks, the last with DONE,
 *     each: u8 known (0: the server does not know the session; then the only chunk), 3 zero
 *     bytes, u32 round, u32 count, then count runs of (u32 first block, u32 blocks).</li>
 * <li>{@link NbdConstants#CMD_RELOC_UNTRACK}: offset = the session id, length 0. Simple reply.</li>
 * </ul>
 * Errors (a bad granularity, a command without negotiation) are simple error replies.
 */
public final class RelocTracking {
    private RelocTracking() {}

    /** Most runs in one dirty chunk: keeps a chunk within 64 KiB. */
    public static final int MAX_RUNS_PER_CHUNK = 8190;
    /** Bytes of a dirty chunk's payload before its runs. */
    public static final int DIRTY_HEADER_SIZE = 1 + 3 + 4 + 4;
    /** Bytes of one run. */
    public static final int RUN_SIZE = 8;

    /** The option's data: the export's name. */
    public static ByteBuffer encodeOption(String exportName) {
        byte[] name = exportName.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + name.length).putInt(name.length).put(name).flip();
    }

    /** @throws NbdProtocolException when the data is not a length-prefixed name */
    public static String decodeOption(ByteBuffer data) throws NbdProtocolException {
        int length = NbdStrings.getInt(data, "RELOC_TRACKING");
        if (length < 0 || length > NbdConstants.MAX_STRING_LENGTH || length != data.remaining()) {
            throw new NbdProtocolException("RELOC_TRACKING names an export of " + Integer.toUnsignedString(length)
                    + " bytes with " + data.remaining() + " bytes of data");
        }
        return NbdStrings.getFixed(data, length, "RELOC_TRACKING export name");
    }

    /** The whole reply to CMD_RELOC_TRACK. */
    public static void encodeSession(ByteBuffer dst, long cookie, long session) {
        new ChunkHeader(REPLY_FLAG_DONE, CHUNK_RELOC_SESSION, cookie, 8).encode(dst);
        dst.putLong(session);
    }

    public static long decodeSession(ByteBuffer payload) throws NbdProtocolException {
        if (payload.remaining() != 8) {
            throw new NbdProtocolException("RELOC session chunk of " + payload.remaining() + " bytes, not 8");
        }
        return payload.getLong();
    }

    /** Bytes {@link #encodeDirty} writes for {@code blocks}. */
    public static int dirtySize(BitSet blocks) {
        int runs = runs(blocks);
        int chunks = Math.max(1, (runs + MAX_RUNS_PER_CHUNK - 1) / MAX_RUNS_PER_CHUNK);
        return chunks * (CHUNK_HEADER_SIZE + DIRTY_HEADER_SIZE) + runs * RUN_SIZE;
    }

    /** The whole reply to CMD_RELOC_DIRTY for a known session: the runs of {@code blocks}. */
    public static void encodeDirty(ByteBuffer dst, long cookie, int round, BitSet blocks) {
        int total = runs(blocks);
        int from = blocks.nextSetBit(0);
        int left = total;
        do {
            int n = Math.min(left, MAX_RUNS_PER_CHUNK);
            left -= n;
            new ChunkHeader(left == 0 ? REPLY_FLAG_DONE : 0, CHUNK_RELOC_DIRTY, cookie,
                    DIRTY_HEADER_SIZE + (long) n * RUN_SIZE).encode(dst);
            dst.put((byte) 1).put((byte) 0).putShort((short) 0).putInt(round).putInt(n);
            for (int i = 0; i < n; i++) {
                int end = blocks.nextClearBit(from);
                dst.putInt(from).putInt(end - from);
                from = blocks.nextSetBit(end);
            }
        } while (left > 0);
    }

    /** The whole reply to CMD_RELOC_DIRTY for a session the server does not know. */
    public static void encodeUnknown(ByteBuffer dst, long cookie) {
        new ChunkHeader(REPLY_FLAG_DONE, CHUNK_RELOC_DIRTY, cookie, DIRTY_HEADER_SIZE).encode(dst);
        dst.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0);
    }

    /** One dirty chunk, decoded. */
    public record DirtyChunk(boolean known, int round) {}

    /**
     * Decodes a dirty chunk's payload, handing each run to {@code run} as {@code {first, blocks}}.
     *
     * @param blockCount blocks of the disk at the session's granularity: runs past it are refused
     */
    public static DirtyChunk decodeDirty(ByteBuffer payload, long blockCount, Consumer<int[]> run)
            throws NbdProtocolException {
        if (payload.remaining() < DIRTY_HEADER_SIZE) {
            throw new NbdProtocolException("RELOC dirty chunk of " + payload.remaining() + " bytes is too short");
        }
        int known = Byte.toUnsignedInt(payload.get());
        payload.position(payload.position() + 3);
        int round = payload.getInt();
        int count = payload.getInt();
        if (known > 1 || count < 0 || (long) count * RUN_SIZE != payload.remaining() || (known == 0 && count != 0)) {
            throw new NbdProtocolException("RELOC dirty chunk is malformed (known " + known + ", " + count + " runs, "
                    + payload.remaining() + " bytes of runs)");
        }
        for (int i = 0; i < count; i++) {
            int first = payload.getInt();
            int blocks = payload.getInt();
            if (first < 0 || blocks <= 0 || (long) first + blocks > blockCount) {
                throw new NbdProtocolException("RELOC dirty run of " + Integer.toUnsignedString(blocks) + " blocks at block "
                        + Integer.toUnsignedString(first) + " lies outside the disk's " + blockCount + " blocks");
            }
            run.accept(new int[] {first, blocks});
        }
        return new DirtyChunk(known == 1, round);
    }

    private static int runs(BitSet blocks) {
        int runs = 0;
        for (int b = blocks.nextSetBit(0); b >= 0; b = blocks.nextSetBit(blocks.nextClearBit(b))) {
            runs++;
        }
        return runs;
    }
}
