package io.reloc.cli;

import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc wan}: a user-space WAN link between a client and a server, for experiments. */
@Command(name = "wan", sortOptions = false,
        description = {"Relay TCP from --listen to --to through an emulated wide-area link: one-way delay",
                "of RTT/2 each way, a bandwidth cap per direction shared by all connections, jitter."},
        footer = {"", "While it runs, type on standard input:",
                "  cut | restore        reset every connection and refuse new ones / carry traffic again",
                "  rtt 40ms | rate 100mbit | jitter 2ms    change the link",
                "  stats                bytes carried each way",
                "", "Example:", "  reloc wan --listen 127.0.0.1:20000 --to 127.0.0.1:10809 --rtt 40ms --rate 100mbit"})
final class WanCommand implements Callable<Integer> {
    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--listen", paramLabel = "HOST:PORT", required = true, description = "Where clients connect.")
    private String listen;

    @Option(names = "--to", paramLabel = "HOST:PORT", required = true, description = "The server behind the link.")
    private String to;

    @Option(names = "--rtt", paramLabel = "DURATION", defaultValue = "20ms", description = "Round-trip time (default: ${DEFAULT-VALUE}).")
    private String rtt;

    @Option(names = "--rate", paramLabel = "RATE", defaultValue = "100mbit",
            description = "Capacity of each direction, e.g. 100mbit, 1gbit, 12.5MB; 0 for none (default: ${DEFAULT-VALUE}).")
    private String rate;

    @Option(names = "--jitter", paramLabel = "DURATION", defaultValue = "0", description = "Delay variation (default: none).")
    private String jitter;

    @Option(names = "--relay-priority", paramLabel = "realtime|normal", defaultValue = "realtime",
            description = {"Priority of the relay's threads (default: ${DEFAULT-VALUE}). Real-time (SCHED_FIFO, needs root or",
                    "CAP_SYS_NICE; normal if refused, with a warning) keeps the ends' use of the cores out of the link's delay."})
    private String relayPriority;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the jitter, for repeatable runs (default: ${DEFAULT-VALUE}).")
    private long seed;

    WanCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws IOException {
        LinkSettings settings = settings(rtt, rate, jitter);
        boolean realTimeRelay;
        try {
            realTimeRelay = WanLink.isRealTime(relayPriority);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--relay-priority: " + e.getMessage());
        }
        WanLink link;
        try {
            link = WanLink.start(ListenAddress.parse(listen).toSocketAddress(), ListenAddress.parse(to).toSocketAddress(), settings, seed);
            link.realTimeRelay(realTimeRelay);
        } catch (IOException e) {
            throw new CliException(e.getMessage(), e);
        }
        context.out().println("wan " + ClientUris.hostPort(link.address()) + " -> " + to + ": rtt " + rtt + ", rate " + rate
                + (settings.jitter().isZero() ? "" : ", jitter " + jitter));
        context.out().flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                link.close();
            } catch (IOException ignored) {
                // exiting anyway
            }
        }));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            try {
                context.out().println(apply(link, line.trim().toLowerCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                context.out().println("error: " + e.getMessage());
            }
            context.out().flush();
        }
        // Standard input closed (e.g. started in the background): relay until killed.
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return ExitCodes.OK;
    }

    static LinkSettings settings(String rtt, String rate, String jitter) {
        try {
            return new LinkSettings(LinkSettings.parseDuration(rtt), LinkSettings.parseRate(rate), LinkSettings.parseDuration(jitter));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static String apply(WanLink link, String command) {
        String[] words = command.split("\\s+");
        LinkSettings s = link.settings();
        switch (words[0]) {
            case "cut" -> link.cut();
            case "restore" -> link.restore();
            case "rtt" -> link.settings(new LinkSettings(LinkSettings.parseDuration(arg(words)), s.bitsPerSecond(), s.jitter()));
            case "rate" -> link.settings(new LinkSettings(s.rtt(), LinkSettings.parseRate(arg(words)), s.jitter()));
            case "jitter" -> link.settings(new LinkSettings(s.rtt(), s.bitsPerSecond(), LinkSettings.parseDuration(arg(words))));
            case "stats", "" -> { }
            default -> throw new IllegalArgumentException("unknown command '" + words[0] + "': cut, restore, rtt, rate, jitter or stats");
        }
        LinkSettings now = link.settings();
        return String.format(Locale.ROOT, "%s rtt=%dms rate=%dbit/s up=%d down=%d relay=%s", link.isCut() ? "cut" : "up",
                now.rtt().toMillis(), now.bitsPerSecond(), link.bytesUpstream(), link.bytesDownstream(),
                link.relayPriority().replace(' ', '-'));
    }

    private static String arg(String[] words) {
        if (words.length != 2) {
            throw new IllegalArgumentException("'" + words[0] + "' needs one value");
        }
        return words[1];
    }
}
