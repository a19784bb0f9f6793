package io.reloc.nbd.client;

import io.reloc.core.tracking.DirtyBlocks;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.RelocTracking;

import java.io.IOException;
import java.util.BitSet;
import java.util.Optional;

/**
 * A write-tracking command in flight (see {@link RelocTracking}): RELOC_TRACK brings a session id,
 * RELOC_DIRTY the written blocks (gathered over its chunks), RELOC_UNTRACK nothing.
 */
final class PendingTracking extends PendingRequest {
    private final long blockCount;
    private long session = -1;
    private BitSet blocks;
    private Boolean known;
    private int round;

    private PendingTracking(int type, long offset, long length, long blockCount) {
        super(type, 0, offset, length);
        this.blockCount = blockCount;
    }

    static PendingTracking start(int granularity) {
        return new PendingTracking(NbdConstants.CMD_RELOC_TRACK, 0, granularity, 0);
    }

    /** @param blockCount the disk's blocks at the session's granularity, to check the answer against */
    static PendingTracking dirty(long session, int acknowledgedRound, long blockCount) {
        return new PendingTracking(NbdConstants.CMD_RELOC_DIRTY, session, Integer.toUnsignedLong(acknowledgedRound), blockCount);
    }

    static PendingTracking end(long session) {
        return new PendingTracking(NbdConstants.CMD_RELOC_UNTRACK, session, 0, 0);
    }

    @Override
    void onSimple(int errno, NbdTransport transport) throws IOException {
        if (errno == 0 && type != NbdConstants.CMD_RELOC_UNTRACK) {
            throw new NbdProtocolException("simple success reply to " + what() + ", which needs chunks");
        }
        if (errno != 0) {
            serverError(errno, "");
        }
    }

    @Override
    void onChunk(ChunkHeader header, NbdTransport transport) throws IOException {
        if (header.type() == NbdConstants.CHUNK_RELOC_SESSION && type == NbdConstants.CMD_RELOC_TRACK) {
            if (session >= 0) {
                throw new NbdProtocolException("two session chunks in reply to " + what());
            }
            session = RelocTracking.decodeSession(payload(header, transport));
        } else if (header.type() == NbdConstants.CHUNK_RELOC_DIRTY && type == NbdConstants.CMD_RELOC_DIRTY) {
            if (blocks == null) {
                blocks = new BitSet();
            }
            RelocTracking.DirtyChunk chunk = RelocTracking.decodeDirty(payload(header, transport), blockCount,
                    run -> blocks.set(run[0], run[0] + run[1]));
            if (known != null && (known != chunk.known() || round != chunk.round())) {
                throw new NbdProtocolException("dirty chunks in reply to " + what() + " disagree on the session");
            }
            known = chunk.known();
            round = chunk.round();
        } else if (!onErrorChunk(header, transport)) {
            throw unexpected(header);
        }
    }

    @Override
    void finish() throws NbdProtocolException {
        if (failed()) {
            return;
        }
        if (type == NbdConstants.CMD_RELOC_TRACK && session < 0) {
            throw new NbdProtocolException("no session id in reply to " + what());
        }
        if (type == NbdConstants.CMD_RELOC_DIRTY && known == null) {
            throw new NbdProtocolException("no dirty chunk in reply to " + what());
        }
        if (type == NbdConstants.CMD_RELOC_DIRTY && known && round < 1) {
            throw new NbdProtocolException("dirty reply to " + what() + " closes round " + round);
        }
    }

    /** The session RELOC_TRACK started; call after success. */
    long session() {
        return session;
    }

    /** RELOC_DIRTY's answer; empty when the server does not know the session. Call after success. */
    Optional<DirtyBlocks> answer() {
        return known ? Optional.of(new DirtyBlocks(round, blocks)) : Optional.empty();
    }
}
