package io.reloc.nbd.client;

import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;

import java.io.IOException;

/** A RELOC_RATE in flight (see {@link io.reloc.nbd.protocol.RelocChannel}); answered by a simple reply. */
final class PendingRate extends PendingRequest {
    /** @param bytesPerSecond the link rate the client measured */
    PendingRate(long bytesPerSecond) {
        super(NbdConstants.CMD_RELOC_RATE, 0, bytesPerSecond, 0);
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
