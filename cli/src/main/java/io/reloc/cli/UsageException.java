package io.reloc.cli;

/**
 * A value on the command line is wrong. Thrown by the pure parsers ({@link ExportSpec},
 * {@link ListenAddress}, {@link ByteSize}); the commands turn it into a usage error (exit 2).
 */
public class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
