package io.reloc.cli;

import io.reloc.api.Export;
import io.reloc.core.control.ControlServer;
import io.reloc.core.plugin.PluginException;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.ProxyStatus;
import io.reloc.core.tracking.TrackedDevice;
import io.reloc.nbd.client.NbdSourceDevice;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/** {@code reloc proxy}: serves a disk at the destination while relocating it from its source. */
@Command(name = "proxy", sortOptions = false,
        description = {"Serve a disk at the destination at once while relocating it from its source:",
                "absent blocks are fetched on demand, the rest copied in the background, and the",
                "proxy detaches from the source when every block is local."},
        footer = {"", "Examples:",
                "  reloc proxy --export vm1 --source nbd://src.example:10809/vm1 --cache /var/lib/reloc/vm1.img",
                "  reloc proxy --export vm1 --source nbd://127.0.0.1:10809/vm1 --cache vm1.img --activate",
                "  reloc proxy --export vm1 --source nbd://src.example:10809/vm1 --cache vm1.img --precopy",
                "",
                "A proxy starts in standby (reads forwarded, nothing kept) and becomes active on",
                "'reloc ctl activate', on its first write, or at once with --activate. With",
                "--precopy it copies already in standby, and at activation refetches exactly what",
                "the source (a 'reloc serve') reports written since. Restarted with the same cache",
                "and map it resumes where it stopped."})
final class ProxyCommand implements Callable<Integer> {
    static final String DEFAULT_LISTEN = "127.0.0.1:10810";
    static final String DEFAULT_CONTROL = "127.0.0.1:9010";

    /** How often a relocating proxy logs its progress. */
    private static final Duration PROGRESS_PERIOD = Duration.ofSeconds(10);

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @picocli.CommandLine.ArgGroup(exclusive = false, heading = "%niSCSI:%n")
    private IscsiOptions iscsi = new IscsiOptions();

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            description = "Address the NBD server listens on (default: ${DEFAULT-VALUE}).")
    private String listen;

    @Option(names = "--export", paramLabel = "NAME", required = true, description = "Name clients use for the disk.")
    private String export;

    @Option(names = "--source", paramLabel = "URI", required = true,
            description = "Where the disk is now: nbd://HOST[:PORT]/EXPORT or file:/PATH.")
    private String source;

    @Option(names = "--cache", paramLabel = "PATH", required = true,
            description = "The local copy; created sparse at the source's size if missing.")
    private Path cache;

    @Option(names = "--map", paramLabel = "PATH", description = "The presence map (default: CACHE.map beside the cache).")
    private Path map;

    @Option(names = "--block-size", paramLabel = "SIZE", defaultValue = "64K",
            description = "Relocation block size, a power of two >= 512 (default: ${DEFAULT-VALUE}).")
    private String blockSize;

    @Option(names = "--control", paramLabel = "HOST:PORT", defaultValue = DEFAULT_CONTROL,
            description = "Address of the control plane for 'reloc ctl' (default: ${DEFAULT-VALUE}); 'none' to disable.")
    private String control;

    @Option(names = "--activate", description = "Start active: the source is quiescent (a stopped VM, a cold move).")
    private boolean activate;

    @Option(names = "--precopy", description = {"Hybrid pre-copy: copy in the background already in standby; at activation,",
            "refetch what the source reports written since. Needs a Reloc source ('reloc serve')."})
    private boolean precopy;

    @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long a client read waits for an unreachable source before it fails with EIO (default: ${DEFAULT-VALUE}).")
    private long holdSeconds;

    @Option(names = "--rate", paramLabel = "RATE", defaultValue = "0",
            description = "Background copy limit per second, in bytes (e.g. 50M) or bits (e.g. 95mbit); 0 for none (default)."
                    + " Demand fetches are never limited. A Reloc source keeps it too: a little below the link's rate keeps the"
                    + " link's queue, and so the VM's reads, short.")
    private String rate;

    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = Proxy.DEFAULT_STRATEGY,
            description = {"Background copy order, by plugin name (default: ${DEFAULT-VALUE}): linear, readahead",
                    "(fetch ahead of sequential readers), hotspot (hot regions first: the source's heat map",
                    "from a Reloc server, else learned from clients), hotspot+readahead; reloc version lists all."})
    private String strategy;

    @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop by itself after this many seconds.")
    private Long durationSeconds;

    @Mixin
    private RealTimeOption realTime = new RealTimeOption();

    ProxyCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        ProxyConfig config = config();
        List<FrontEndSpec> frontEnds = new ArrayList<>(List.of(new FrontEndSpec("nbd", ListenAddress.parse(listen))));
        (iscsi == null ? new IscsiOptions() : iscsi).frontEnd(context.cwd()).ifPresent(frontEnds::add);
        Optional<ListenAddress> controlAddress = control.equalsIgnoreCase("none") ? Optional.empty()
                : Optional.of(ListenAddress.parse(control));
        Optional<Duration> duration = ServeCommand.parseDuration(durationSeconds);
        if (!ExportSpec.isValidName(export)) {
            throw new UsageException("bad export name '" + export + "': " + ExportSpec.NAME_RULE);
        }
        Plugins plugins = context.plugins().get();
        Runnable realTimeThreads = realTime.start(List.of(NbdSourceDevice.READER_THREAD_PREFIX));
        Proxy proxy = startProxy(config, plugins, strategy);
        List<AutoCloseable> services = new ArrayList<>(List.of(realTimeThreads::run));
        try {
            if (controlAddress.isPresent()) {
                ControlServer controlServer = ControlServer.start(controlAddress.get().toSocketAddress(), proxy);
                services.add(controlServer);
                context.out().println("control: http://" + ClientUris.hostPort(controlServer.address()) + "/status");
            }
        } catch (IOException e) {
            proxy.stopBackgroundCopy();
            closeQuietly(proxy);
            throw new CliException(e.getMessage() + ": stop the other proxy or choose another --control", e);
        }
        services.add(named("background copy", proxy::stopBackgroundCopy));
        services.add(ProgressLog.start(proxy, PROGRESS_PERIOD));
        // Tracked, so that this proxy can itself be the source of a pre-copying relocation.
        Export served = new Export(export, "relocating from " + Proxy.redacted(config.source()),
                new TrackedDevice(proxy.device()));
        ExportServer server = ExportServer.serve(plugins, List.of(served), frontEnds, services);
        ProxyStatus status = proxy.status();
        for (ExportServer.Bound bound : server.bound()) {
            context.out().println("serving " + bound.uri(export)
                    + " (" + ByteSize.format(proxy.device().size()) + ", relocating from " + Proxy.redacted(config.source()) + ": "
                    + status.stateName() + ", "
                    + String.format(Locale.ROOT, "%.1f%%", 100 * status.relocation().fractionPresent()) + " local)");
        }
        context.out().flush();
        return ServeLoop.serve(server, duration);
    }

    private ProxyConfig config() {
        URI uri;
        try {
            uri = new URI(escapeUserInfo(source));
        } catch (URISyntaxException e) {
            throw new UsageException("bad --source '" + source + "': " + e.getReason());
        }
        if (uri.getScheme() == null) {
            throw new UsageException("bad --source '" + source + "': give a URI such as nbd://HOST:PORT/EXPORT or file:/PATH");
        }
        long block = ByteSize.parse(blockSize);
        if (block < 512 || block > (16 << 20) || Long.bitCount(block) != 1) {
            throw new UsageException("--block-size must be a power of two between 512 and 16M: " + blockSize);
        }
        if (holdSeconds <= 0) {
            throw new UsageException("--hold must be a positive number of seconds: " + holdSeconds);
        }
        Path cachePath = context.cwd().resolve(cache).normalize();
        Path mapPath = map == null ? ProxyConfig.defaultMap(cachePath) : context.cwd().resolve(map).normalize();
        if (precopy && activate) {
            throw new UsageException("--precopy copies before activation; it cannot be combined with --activate");
        }
        return new ProxyConfig(uri, cachePath, mapPath, (int) block, activate, Duration.ofSeconds(holdSeconds), ByteSize.parseRate(rate),
                precopy);
    }

    /**
     * libiscsi writes CHAP credentials as {@code iscsi://user%secret@host/…}, where {@code %} is a
     * separator, not an escape; it is escaped before parsing so that the URI keeps it.
     */
    static String escapeUserInfo(String source) {
        String scheme = "iscsi://";
        int at = source.indexOf('@');
        int slash = source.indexOf('/', Math.min(source.length(), scheme.length()));
        if (!source.startsWith(scheme) || at < 0 || (slash >= 0 && at > slash)) {
            return source;
        }
        return scheme + source.substring(scheme.length(), at).replace("%", "%25") + source.substring(at);
    }

    private static Proxy startProxy(ProxyConfig config, Plugins plugins, String strategy) {
        try {
            return Proxy.start(config, plugins, strategy);
        } catch (PluginException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    private static void closeQuietly(Proxy proxy) {
        try {
            proxy.close();
        } catch (IOException e) {
            // Already failing; the first error is the one to report.
        }
    }

    /** A service whose name shows in log lines if stopping it fails. */
    private static AutoCloseable named(String name, Runnable stop) {
        return new AutoCloseable() {
            @Override
            public void close() {
                stop.run();
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
