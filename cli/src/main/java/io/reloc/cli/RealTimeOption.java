package io.reloc.cli;

import io.reloc.core.priority.RealTimeThreads;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code --realtime} of the commands that serve disks: the threads that carry a read at real-time priority. */
final class RealTimeOption {
    @Option(names = "--realtime",
            description = {"Run the threads that carry a client's read (those of virtual threads, the NBD client's",
                    "readers) at real-time priority (SCHED_FIFO 1), so that a busy host's other work does not delay",
                    "them. Only where the work leaves the cores room: raised threads that fill them leave the",
                    "others waiting up to a second. Needs root or CAP_SYS_NICE; an error otherwise."})
    private boolean on;

    /**
     * Starts keeping those threads, and the caller's platform threads named {@code ownThreads}*,
     * at real-time priority; returns what stops it. Without the option, does nothing.
     *
     * @throws CliException when the host does not allow it
     */
    Runnable start(List<String> ownThreads) {
        if (!on) {
            return () -> { };
        }
        List<String> prefixes = new ArrayList<>(RealTimeThreads.VIRTUAL_THREAD_SUPPORT);
        prefixes.addAll(ownThreads);
        try {
            return RealTimeThreads.start(prefixes)::close;
        } catch (IllegalStateException e) {
            throw new CliException("--realtime: " + e.getMessage());
        }
    }
}
