package io.reloc.nbd.server;

import io.reloc.api.Export;
import io.reloc.nbd.channel.BatchEncoder;

import static java.util.Objects.requireNonNull;

/**
 * What a handshake settled for the transmission phase.
 *
 * @param export the export served
 * @param structuredReplies whether READ replies must be structured
 * @param allocationContextId id of {@code base:allocation}, or 0 when it was not selected
 * @param transmissionFlags the flags sent to the client
 * @param channel encodes RELOC_READ replies, or null when the relocation channel was not negotiated
 */
record Session(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags,
               BatchEncoder channel) {
    Session {
        requireNonNull(export, "export is null");
    }

    Session(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags) {
        this(export, structuredReplies, allocationContextId, transmissionFlags, null);
    }
}
