package io.reloc.cli;

/** Exit statuses of the {@code reloc} command. */
public final class ExitCodes {
    /** Success, including a clean stop after SIGINT or SIGTERM. */
    public static final int OK = 0;
    /** Something failed at run time: a missing image, a busy port, a failed flush at shutdown. */
    public static final int RUNTIME = 1;
    /** The command line is wrong: unknown option, bad --export or --listen syntax. */
    public static final int USAGE = 2;

    private ExitCodes() {}
}
