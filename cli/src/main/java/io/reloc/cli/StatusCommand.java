package io.reloc.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc status}: a running proxy's progress, for people ({@code --json} for scripts). */
@Command(name = "status", sortOptions = false,
        description = "Show a running 'reloc proxy''s progress: a bar, the state and its figures.")
final class StatusCommand implements Callable<Integer> {
    private static final int BAR_WIDTH = 40;

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--control", paramLabel = "HOST:PORT", defaultValue = ProxyCommand.DEFAULT_CONTROL,
            description = "The proxy's control address (default: ${DEFAULT-VALUE}).")
    private String control;

    @Option(names = "--json", description = "Print the status as the control plane gives it (one JSON object).")
    private boolean json;

    @Option(names = {"-w", "--watch"}, description = "Redraw every second until the relocation is complete.")
    private boolean watch;

    StatusCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        ControlClient client = new ControlClient(control);
        PrintWriter out = context.out();
        StatusJson status = new StatusJson(client.status());
        if (json) {
            out.println(status.json());
        } else if (!watch) {
            out.println(render(status));
        } else {
            long previousBytes = status.number("bytesFromSource");
            long previousNanos = System.nanoTime();
            out.print(render(status) + "\r");
            out.flush();
            while (!status.complete() && !status.state().equals("detached")) {
                Thread.sleep(1000);
                status = new StatusJson(client.status());
                long now = System.nanoTime();
                long bytes = status.number("bytesFromSource");
                double rate = (bytes - previousBytes) / ((now - previousNanos) / 1e9);
                previousBytes = bytes;
                previousNanos = now;
                out.print("\r" + render(status) + String.format(Locale.ROOT, "  %s/s   ", ByteSize.format(Math.round(rate))));
                out.flush();
            }
            out.println();
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The bar and the figures, on one line (so that {@code --watch} can redraw it). */
    static String render(StatusJson status) {
        long total = status.number("blocksTotal");
        long present = status.number("blocksPresent");
        double fraction = total == 0 ? 1.0 : (double) present / total;
        int filled = (int) Math.round(fraction * BAR_WIDTH);
        String state = status.state() + (status.state().equals("standby") || status.complete() ? ""
                : status.flag("sourceConnected") ? "" : " (source unreachable)");
        long link = status.number("linkRateBytesPerSecond");
        return String.format(Locale.ROOT, "[%s%s] %5.1f%%  %-12s %d/%d blocks  from source %s (background %s)  demand fetches %d%s",
                "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), fraction * 100, state, present, total,
                ByteSize.format(status.number("bytesFromSource")), ByteSize.format(status.number("backgroundBytes")),
                status.number("demandFetches"), link == 0 ? "" : "  link " + ByteSize.formatBitRate(link));
    }
}
