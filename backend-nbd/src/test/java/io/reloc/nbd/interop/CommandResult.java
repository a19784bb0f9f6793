package io.reloc.nbd.interop;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** What an external program did: its exit code and everything it printed. */
record CommandResult(List<String> command, int exitCode, String stdout, String stderr) {
    CommandResult {
        command = List.copyOf(requireNonNull(command, "command is null"));
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
    }

    /** Both streams, for searching client messages that may go to either. */
    String output() {
        return stdout + stderr;
    }

    /** A report for assertion messages: the command line, exit code and both streams. */
    String describe() {
        return "$ " + String.join(" ", command) + "\nexit code " + exitCode
                + "\n--- stdout ---\n" + stdout + "--- stderr ---\n" + stderr;
    }
}
