package io.reloc.core.tracking;

import java.io.IOException;

/**
 * The source cannot report the writes it receives: it is not a Reloc server (nbdkit, qemu-nbd, a
 * file), or its export is not tracked. Hybrid pre-copy needs such reports; plain standby does not.
 */
public final class TrackingUnavailableException extends IOException {
    public TrackingUnavailableException(String message) {
        super(message);
    }

    public TrackingUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
