package io.reloc.nbd.client;

import io.reloc.api.Extent;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A BLOCK_STATUS in flight on {@code base:allocation}: keeps the descriptors of that context and
 * turns them into {@link Extent}s clipped to the requested length.
 */
final class PendingBlockStatus extends PendingRequest {
    private final long contextId;
    private List<Chunks.Descriptor> descriptors;

    PendingBlockStatus(long offset, long length, long contextId) {
        super(NbdConstants.CMD_BLOCK_STATUS, 0, offset, length);
        this.contextId = contextId;
    }

    @Override
    void onSimple(int errno, NbdTransport transport) throws IOException {
        if (errno == 0) {
            throw new NbdProtocolException("simple success reply to " + what() + "; block status needs chunks");
        }
        serverError(errno, "");
    }

    @Override
    void onChunk(ChunkHeader header, NbdTransport transport) throws IOException {
        switch (header.type()) {
            case NbdConstants.CHUNK_BLOCK_STATUS -> {
                Chunks.BlockStatus status = Chunks.decodeBlockStatus(payload(header, transport));
                if (Integer.toUnsignedLong(status.contextId()) == contextId) {
                    if (descriptors != null) {
                        throw new NbdProtocolException("two base:allocation chunks in reply to " + what());
                    }
                    descriptors = status.descriptors();
                }
            }
            case NbdConstants.CHUNK_NONE -> {
                if (header.length() != 0 || !header.done()) {
                    throw new NbdProtocolException("NONE chunk with " + header.length() + " bytes or without DONE");
                }
            }
            default -> {
                if (!onErrorChunk(header, transport)) {
                    throw unexpected(header);
                }
            }
        }
    }

    @Override
    void finish() throws NbdProtocolException {
        if (failed()) {
            return;
        }
        if (descriptors == null || descriptors.isEmpty()) {
            throw new NbdProtocolException("no base:allocation extents in reply to " + what());
        }
        for (Chunks.Descriptor d : descriptors) {
            if (d.length() == 0) {
                throw new NbdProtocolException("extent of length 0 in reply to " + what());
            }
        }
    }

    /** The extents, together at most the requested length; call after success. */
    List<Extent> extents() {
        List<Extent> out = new ArrayList<>(descriptors.size());
        long left = length;
        for (Chunks.Descriptor d : descriptors) {
            if (left == 0) {
                break;
            }
            long n = Math.min(d.length(), left);
            out.add(new Extent(n, (d.flags() & NbdConstants.STATE_HOLE) != 0, (d.flags() & NbdConstants.STATE_ZERO) != 0));
            left -= n;
        }
        return List.copyOf(out);
    }
}
