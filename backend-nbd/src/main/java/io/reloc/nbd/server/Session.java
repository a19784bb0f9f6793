package io.reloc.nbd.server;

import io.reloc.api.Export;
import io.reloc.core.tracking.WriteTracker;
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
 * @param tracker the export's write tracker when RELOC_TRACKING was negotiated for it, else null
 */
record Session(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags,
               BatchEncoder channel, WriteTracker tracker) {
    Session {
        requireNonNull(export, "export is null");
    }

    Session(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags,
            BatchEncoder channel) {
        this(export, structuredReplies, allocationContextId, transmissionFlags, channel, null);
    }

    Session(Export export, boolean structuredReplies, int allocationContextId, int transmissionFlags) {
        this(export, structuredReplies, allocationContextId, transmissionFlags, null);
    }
}
