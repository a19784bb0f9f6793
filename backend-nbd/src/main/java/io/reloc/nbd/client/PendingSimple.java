package io.reloc.nbd.client;

import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;

import java.io.IOException;

/**
 * A command whose answer is a simple reply and nothing else, in flight: RELOC_RATE, RELOC_PACE
 * (see {@link io.reloc.nbd.protocol.RelocChannel}).
 */
final class PendingSimple extends PendingRequest {
    /** A RELOC_RATE: the link rate the client measured. */
    static PendingSimple rate(long bytesPerSecond) {
        return new PendingSimple(NbdConstants.CMD_RELOC_RATE, bytesPerSecond, 0);
    }

    /** A RELOC_PACE: the rate to pace this connection's replies at (0: not paced), in {@code group}. */
    static PendingSimple pace(long bytesPerSecond, int group) {
        return new PendingSimple(NbdConstants.CMD_RELOC_PACE, bytesPerSecond, Integer.toUnsignedLong(group));
    }

    private PendingSimple(int type, long offset, long length) {
        super(type, 0, offset, length);
    }

    @Override
    void onSimple(int errno, NbdTransport transport) throws IOException {
        if (errno != 0) {
            serverError(errno, "");
        }
    }

    @Override
    void onChunk(ChunkHeader header, NbdTransport transport) throws IOException {
        if (!onErrorChunk(header, transport)) {
            throw unexpected(header);
        }
    }

    @Override
    void finish() throws NbdProtocolException {}
}
