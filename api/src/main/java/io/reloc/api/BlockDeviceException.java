package io.reloc.api;

import java.io.IOException;

import static java.util.Objects.requireNonNull;

/** A block operation that failed for a reason the client must hear about ({@link BlockError}). */
public class BlockDeviceException extends IOException {
    private static final long serialVersionUID = 1L;

    private final BlockError error;

    public BlockDeviceException(BlockError error, String message) {
        super(message);
        this.error = requireNonNull(error, "error is null");
    }

    public BlockDeviceException(BlockError error, String message, Throwable cause) {
        super(message, cause);
        this.error = requireNonNull(error, "error is null");
    }

    public BlockError error() {
        return error;
    }
}
