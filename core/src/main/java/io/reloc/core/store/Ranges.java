package io.reloc.core.store;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;

/** Range checks shared by the local stores. */
public final class Ranges {
    private Ranges() {}

    /**
     * @throws BlockDeviceException INVALID when {@code [offset, offset + length)} is not inside
     *     {@code [0, size)}
     */
    public static void check(long offset, long length, long size) throws BlockDeviceException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new BlockDeviceException(BlockError.INVALID,
                    "range [" + offset + ", +" + length + ") is outside the device of " + size + " bytes");
        }
    }
}
