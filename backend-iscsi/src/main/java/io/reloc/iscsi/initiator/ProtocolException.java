package io.reloc.iscsi.initiator;

import java.io.IOException;

/** The target broke the iSCSI protocol: the connection is dropped and everything on it fails. */
final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    ProtocolException(String message) {
        super(message);
    }
}
