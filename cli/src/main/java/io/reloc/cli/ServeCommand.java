package io.reloc.cli;

import io.reloc.bench.trace.TraceWriter;
import io.reloc.bench.trace.TracingCatalog;
import io.reloc.nbd.NbdFrontEndFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc serve}: serves image files over NBD until stopped. */
@Command(name = "serve", sortOptions = false,
        description = "Serve disk image files over NBD until Ctrl-C or SIGTERM.",
        footer = {"", "Examples:",
                "  reloc serve --export vm1=/var/lib/images/vm1.img",
                "  reloc serve --listen 0.0.0.0:10809 --export vm1=a.img \\",
                "              --export base=b.img,readonly,description=Base image",
                "  reloc serve --export vm1=vm1.img --trace vm1.csv   # record requests for 'reloc experiment --trace'",
                "",
                "On SIGINT or SIGTERM it stops accepting connections, finishes requests in",
                "flight, flushes every image, logs 'stopped' and exits 0 (1 if a flush failed)."})
final class ServeCommand implements Callable<Integer> {
    static final String DEFAULT_LISTEN = "127.0.0.1:10809";

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @picocli.CommandLine.ArgGroup(exclusive = false, heading = "%niSCSI:%n")
    private IscsiOptions iscsi = new IscsiOptions();

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            description = "Address the NBD server listens on (default: ${DEFAULT-VALUE}). Port 0 picks a free port.")
    private String listen;

    @Option(names = "--export", paramLabel = ExportSpec.SYNTAX,
            description = {"An image file to serve under NAME; repeat for more exports.",
                    "readonly refuses writes; iqn=IQN serves it over iSCSI under that name instead of",
                    "IQN-PREFIX:NAME; description=TEXT (last, may contain commas) is shown to listing clients."})
    private List<String> exports = new ArrayList<>();

    @Option(names = "--reloc-channel", paramLabel = "adaptive|on|off", defaultValue = "adaptive",
            description = {"The relocation channel offered to relocating proxies (default: ${DEFAULT-VALUE}): adaptive picks",
                    "each batch's codec for the proxy's link, on always uses the proxy's first codec, off serves plain NBD only."})
    private String relocChannel;

    @Option(names = "--no-heat",
            description = "Do not record where clients read and write (IMAGE.heat beside each image, sent to a "
                    + "relocation that asks, e.g. reloc proxy --strategy hotspot).")
    private boolean noHeat;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop by itself after this many seconds (default: serve until stopped).")
    private Long durationSeconds;

    @Option(names = "--trace", paramLabel = "FILE",
            description = {"Record every request in FILE (CSV: time_us,client,op,offset,length; see docs/experiment.md),",
                    "to replay it later with 'reloc experiment --trace FILE'."})
    private Path trace;

    @Mixin
    private RealTimeOption realTime = new RealTimeOption();

    ServeCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        List<ExportSpec> specs = parseExports(exports, context.home(), context.cwd());
        List<FrontEndSpec> frontEnds = new ArrayList<>(List.of(new FrontEndSpec("nbd", ListenAddress.parse(listen),
                Map.of(NbdFrontEndFactory.RELOC_CHANNEL, relocChannel(relocChannel)))));
        (iscsi == null ? new IscsiOptions() : iscsi).frontEnd(context.cwd(), specs).ifPresent(frontEnds::add);
        Optional<Duration> duration = parseDuration(durationSeconds);
        specs.forEach(ImageFiles::check);
        Runnable realTimeThreads = realTime.start(List.of());
        ExportServer server;
        if (trace == null) {
            server = ExportServer.start(context.plugins().get(), specs, frontEnds, !noHeat);
        } else {
            Path file = context.cwd().resolve(trace).normalize();
            TraceWriter writer = openTrace(file);
            server = ExportServer.start(context.plugins().get(), specs, frontEnds, !noHeat,
                    exports -> new TracingCatalog(exports, writer), List.of(writer));
            context.out().println("tracing requests to " + file);
        }
        printUris(context, server);
        try {
            return ServeLoop.serve(server, duration);
        } finally {
            realTimeThreads.run();
        }
    }

    private static TraceWriter openTrace(Path file) {
        try {
            return TraceWriter.open(file, System::nanoTime);
        } catch (IOException e) {
            throw new CliException("cannot write the trace file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses every {@code --export}, rejecting two exports of one name or of one file.
     *
     * @throws UsageException on the first bad value
     */
    static List<ExportSpec> parseExports(List<String> values, Path home, Path cwd) {
        if (values.isEmpty()) {
            throw new UsageException("nothing to serve: give at least one --export " + ExportSpec.SYNTAX);
        }
        List<ExportSpec> specs = new ArrayList<>();
        Map<String, ExportSpec> byName = new HashMap<>();
        Map<Path, ExportSpec> byPath = new HashMap<>();
        for (String value : values) {
            ExportSpec spec = ExportSpec.parse(value, home, cwd);
            if (byName.putIfAbsent(spec.name(), spec) != null) {
                throw new UsageException("export name '" + spec.name() + "' is given twice: each --export needs its own NAME");
            }
            ExportSpec samePath = byPath.putIfAbsent(spec.path(), spec);
            if (samePath != null) {
                throw new UsageException("exports '" + samePath.name() + "' and '" + spec.name() + "' both serve " + spec.path()
                        + ": serve a file under one name only");
            }
            specs.add(spec);
        }
        return List.copyOf(specs);
    }

    /** Checked here so that a typo is a usage error, not a failure to start the server. */
    static String relocChannel(String value) {
        if (!List.of("adaptive", "on", "off").contains(value)) {
            throw new UsageException("--reloc-channel must be adaptive, on or off: '" + value + "'");
        }
        return value;
    }

    static Optional<Duration> parseDuration(Long seconds) {
        if (seconds == null) {
            return Optional.empty();
        }
        if (seconds <= 0) {
            throw new UsageException("--duration must be a positive number of seconds: " + seconds);
        }
        return Optional.of(Duration.ofSeconds(seconds));
    }

    /** One line per export and front end, e.g. {@code vm1: nbd://127.0.0.1:10809/vm1 (1 GiB, read-write)}. */
    static void printUris(CliContext context, ExportServer server) {
        for (var export : server.exports()) {
            for (ExportServer.Bound bound : server.bound()) {
                context.out().println("serving " + bound.uri(export.name())
                        + " (" + ByteSize.format(export.device().size()) + ", "
                        + (export.device().isReadOnly() ? "read-only" : "read-write") + ")");
            }
        }
        context.out().flush();
    }
}
