package io.reloc.iscsi.scsi;

import static java.util.Objects.requireNonNull;

/** Ends a command with CHECK CONDITION and {@link #sense()}; control flow inside this package. */
final class ScsiException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Sense sense;

    ScsiException(Sense sense) {
        super(sense.toString(), null, false, false);
        this.sense = requireNonNull(sense, "sense is null");
    }

    Sense sense() {
        return sense;
    }
}
