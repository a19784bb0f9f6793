package io.reloc.cli;

/**
 * A failure the user can act on (missing image, busy port, …). Reported as one line on stderr with
 * exit status {@link ExitCodes#RUNTIME}; the stack trace is shown only with {@code --verbose}.
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
