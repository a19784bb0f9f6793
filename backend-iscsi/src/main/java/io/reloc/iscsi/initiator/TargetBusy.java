package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;

/** The target answered BUSY or TASK SET FULL: the command may be sent again a little later. */
final class TargetBusy extends BlockDeviceException {
    private static final long serialVersionUID = 1L;

    TargetBusy(String message) {
        super(BlockError.IO, message);
    }
}
