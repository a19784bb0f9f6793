package io.reloc.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc ctl}: drives a running proxy through its control plane. */
@Command(name = "ctl", sortOptions = false,
        description = "Drive a running 'reloc proxy' through its control plane; prints its status as JSON.",
        footer = {"", "Commands:",
                "  status               state, fraction present, fetch counts, source",
                "  activate             switch-over is done: start keeping data and copying",
                "  pause | resume       background copy",
                "  rate RATE            background copy limit per second, e.g. 50M or 95mbit; 0 for none",
                "  source URI           the source moved, e.g. nbd://10.0.0.7:10809/vm1",
                "  reconnect            reconnect to the source now, skipping back-off",
                "  detach [--force]     confirm the proxy no longer needs the source; --force gives it up",
                "                       before completion (absent blocks then read as EIO)",
                "  wait [SECONDS]       block until the relocation is complete (exit 1 on timeout)"})
final class CtlCommand implements Callable<Integer> {
    /** Longest wait per status request while a progress bar is shown. */
    private static final double PROGRESS_SECONDS = 0.2;
    /** Longest wait per status request without one (well below any HTTP idle timeout). */
    private static final double QUIET_SECONDS = 60;
    private static final String COMMANDS = "status, activate, pause, resume, rate, source, reconnect, detach or wait";

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--control", paramLabel = "HOST:PORT", defaultValue = ProxyCommand.DEFAULT_CONTROL,
            description = "The proxy's control address (default: ${DEFAULT-VALUE}).")
    private String control;

    @Parameters(index = "0", paramLabel = "COMMAND", description = COMMANDS + ".")
    private String command;

    @Parameters(index = "1..*", paramLabel = "ARG", arity = "0..1", description = "The argument of rate, source or wait.")
    private List<String> arguments = List.of();

    @Option(names = "--force", description = "With 'detach': give up the source before the relocation is complete.")
    private boolean force;

    CtlCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        ControlClient client = new ControlClient(control);
        String answer = switch (command) {
            case "status" -> client.status();
            case "activate", "pause", "resume", "reconnect" -> client.post("/" + command, command);
            case "detach" -> client.post(force ? "/detach?force=true" : "/detach", command);
            case "rate" -> client.post("/rate?bytes-per-second=" + ByteSize.parseRate(argument("rate", "RATE")), command);
            case "source" -> client.post("/source?uri=" + URLEncoder.encode(argument("source", "URI"), StandardCharsets.UTF_8), command);
            case "wait" -> waitForCompletion(client);
            default -> throw new UsageException("unknown command '" + command + "': use " + COMMANDS);
        };
        context.out().println(answer);
        context.out().flush();
        return ExitCodes.OK;
    }

    private String argument(String name, String label) {
        if (arguments.size() != 1) {
            throw new UsageException("'" + name + "' needs one argument: " + name + " " + label);
        }
        return arguments.get(0);
    }

    /**
     * Waits until complete, showing progress on stderr (stdout keeps the final JSON for scripts).
     * Each status request returns as soon as the relocation completes; with progress shown it
     * returns after {@value #PROGRESS_SECONDS} s at the latest, to redraw the bar.
     */
    private String waitForCompletion(ControlClient client) throws InterruptedException {
        long timeoutSeconds = arguments.isEmpty() ? Long.MAX_VALUE / 2_000_000_000L : Long.parseLong(arguments.get(0));
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        boolean progress = !context.logging().quiet();
        while (true) {
            double left = Math.max(0, (deadline - System.nanoTime()) / 1e9);
            StatusJson status = new StatusJson(client.awaitState("complete", Math.min(left, progress ? PROGRESS_SECONDS : QUIET_SECONDS)));
            if (progress) {
                context.err().print("\r" + StatusCommand.render(status) + "   ");
                context.err().flush();
            }
            if (status.complete()) {
                if (progress) {
                    context.err().println();
                }
                return status.json();
            }
            if (System.nanoTime() > deadline) {
                throw new CliException("the relocation did not complete within " + timeoutSeconds + " s; last status: " + status.json());
            }
        }
    }
}
