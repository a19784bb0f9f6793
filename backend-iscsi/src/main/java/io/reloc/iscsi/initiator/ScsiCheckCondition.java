package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDeviceException;

/** A command ended in CHECK CONDITION; the message and error kind come from {@link #sense()}. */
final class ScsiCheckCondition extends BlockDeviceException {
    private static final long serialVersionUID = 1L;
    private final transient Sense sense;

    ScsiCheckCondition(Sense sense, String message) {
        super(sense.error(), message);
        this.sense = sense;
    }

    Sense sense() {
        return sense;
    }
}
