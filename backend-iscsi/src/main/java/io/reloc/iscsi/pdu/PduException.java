package io.reloc.iscsi.pdu;

import java.io.IOException;

import static java.util.Objects.requireNonNull;

/** A PDU that cannot be framed or that fails a digest; {@link #kind()} tells how to recover. */
public final class PduException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, which decides between a Reject and closing the connection. */
    public enum Kind {
        /** The header digest does not match: framing can no longer be trusted, close. */
        HEADER_DIGEST,
        /** The data digest does not match: reject the PDU (reason 2) and go on. */
        DATA_DIGEST,
        /** The header is malformed (unknown opcode, oversized segment): reject and close. */
        MALFORMED
    }

    private final Kind kind;
    private final transient Pdu pdu;

    public PduException(Kind kind, String message, Pdu pdu) {
        super(message);
        this.kind = requireNonNull(kind, "kind is null");
        this.pdu = pdu;
    }

    public Kind kind() {
        return kind;
    }

    /** The offending PDU as far as it was read (its header at least), or null if none. */
    public Pdu pdu() {
        return pdu;
    }
}
