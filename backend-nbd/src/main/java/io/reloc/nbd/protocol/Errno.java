package io.reloc.nbd.protocol;

import io.reloc.api.BlockError;

/** The errno values NBD carries in replies, and how device errors map to them. */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int EIO = 5;
    public static final int ENOMEM = 12;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int EOVERFLOW = 75;
    public static final int ENOTSUP = 95;
    public static final int ESHUTDOWN = 108;

    /** The errno a client should see for a device error. */
    public static int of(BlockError error) {
        return switch (error) {
            case IO -> EIO;
            case NO_SPACE -> ENOSPC;
            case INVALID -> EINVAL;
            case READ_ONLY -> EPERM;
            case NOT_SUPPORTED -> ENOTSUP;
            case SHUTDOWN -> ESHUTDOWN;
        };
    }

    /** A readable name, for log lines and test messages. */
    public static String name(int errno) {
        return switch (errno) {
            case 0 -> "OK";
            case EPERM -> "EPERM";
            case EIO -> "EIO";
            case ENOMEM -> "ENOMEM";
            case EINVAL -> "EINVAL";
            case ENOSPC -> "ENOSPC";
            case EOVERFLOW -> "EOVERFLOW";
            case ENOTSUP -> "ENOTSUP";
            case ESHUTDOWN -> "ESHUTDOWN";
            default -> "errno " + errno;
        };
    }
}
