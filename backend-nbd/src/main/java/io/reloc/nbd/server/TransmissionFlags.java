package io.reloc.nbd.server;

import io.reloc.api.BlockDevice;

import static io.reloc.nbd.protocol.NbdConstants.TF_CAN_MULTI_CONN;
import static io.reloc.nbd.protocol.NbdConstants.TF_HAS_FLAGS;
import static io.reloc.nbd.protocol.NbdConstants.TF_READ_ONLY;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_CACHE;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_DF;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_FAST_ZERO;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_FLUSH;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_FUA;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_TRIM;
import static io.reloc.nbd.protocol.NbdConstants.TF_SEND_WRITE_ZEROES;

/** The transmission flags this server advertises for a device. */
final class TransmissionFlags {
    private TransmissionFlags() {}

    static int of(BlockDevice device, boolean structuredReplies) {
        // Flush is device-wide by BlockDevice's contract, so every connection sees every flush:
        // that is exactly what CAN_MULTI_CONN promises.
        int flags = TF_HAS_FLAGS | TF_SEND_FLUSH | TF_SEND_FUA | TF_CAN_MULTI_CONN | TF_SEND_CACHE;
        if (device.isReadOnly()) {
            // Like qemu-nbd -r: don't invite commands that can only fail with EPERM.
            flags |= TF_READ_ONLY;
        } else {
            flags |= TF_SEND_TRIM | TF_SEND_WRITE_ZEROES | TF_SEND_FAST_ZERO;
        }
        if (structuredReplies) {
            // Every READ is answered with a single data chunk, which is what DF asks for.
            flags |= TF_SEND_DF;
        }
        return flags;
    }
}
