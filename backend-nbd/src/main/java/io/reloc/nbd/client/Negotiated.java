package io.reloc.nbd.client;

import io.reloc.api.BlockSizes;

import static java.util.Objects.requireNonNull;

/**
 * What the handshake agreed on for one connection.
 *
 * @param exportName the export, as asked for
 * @param size export size in bytes
 * @param transmissionFlags the server's NBD transmission flags
 * @param structuredReplies whether replies may be structured chunks
 * @param allocationContext id of {@code base:allocation}, or -1 when block status is unavailable
 * @param blockSizes the server's constraints (defaults when it sent none)
 * @param channelCodec the relocation channel's codec the server picked, or empty when the channel
 *     is not in use (not offered, or the server is not Reloc or has it off)
 * @param tracking whether the server accepted write tracking (hybrid pre-copy) for the export
 */
public record Negotiated(String exportName, long size, int transmissionFlags, boolean structuredReplies,
                         long allocationContext, BlockSizes blockSizes, String channelCodec, boolean tracking) {
    public Negotiated {
        requireNonNull(exportName, "exportName is null");
        requireNonNull(blockSizes, "blockSizes is null");
        requireNonNull(channelCodec, "channelCodec is null");
    }

    /** Without write tracking. */
    public Negotiated(String exportName, long size, int transmissionFlags, boolean structuredReplies,
                      long allocationContext, BlockSizes blockSizes, String channelCodec) {
        this(exportName, size, transmissionFlags, structuredReplies, allocationContext, blockSizes, channelCodec, false);
    }

    /** Without the relocation channel. */
    public Negotiated(String exportName, long size, int transmissionFlags, boolean structuredReplies,
                      long allocationContext, BlockSizes blockSizes) {
        this(exportName, size, transmissionFlags, structuredReplies, allocationContext, blockSizes, "");
    }

    /** Whether RELOC_READ may be sent. */
    public boolean channel() {
        return !channelCodec.isEmpty();
    }

    public boolean hasFlag(int flag) {
        return (transmissionFlags & flag) == flag;
    }

    /**
     * Whether another connection sees the same export the same way, so that requests may go to
     * either; context ids may differ, as each connection negotiates its own.
     */
    public boolean sameExportAs(Negotiated other) {
        return exportName.equals(other.exportName) && size == other.size && transmissionFlags == other.transmissionFlags
                && structuredReplies == other.structuredReplies && blockStatus() == other.blockStatus()
                && blockSizes.equals(other.blockSizes);
    }

    public boolean blockStatus() {
        return allocationContext >= 0;
    }
}
