package io.reloc.cli;

import io.reloc.bench.wan.LinkSettings;
import io.reloc.core.relocation.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/**
 * {@code reloc demo}: relocates a generated VM-like disk across an emulated WAN while a VM-like
 * workload uses it, verifies the result and writes a report ({@link DemoRelocation}). With
 * {@code --serve-only} it only serves the image as export {@code demo} and prints the client
 * commands to try against it ({@code --check} runs them).
 */
@Command(name = "demo", sortOptions = false,
        description = {"Relocate a generated VM-like disk over an emulated WAN, in one process on loopback:",
                "a VM-like workload runs on the source, switches over to a relocating proxy at the",
                "destination and keeps going while blocks are fetched on demand and copied in the",
                "background. At the end every byte is verified, a summary printed and an HTML report",
                "(" + DemoRelocation.REPORT + ") written in --dir. Exit 0 only if the destination verified.",
                "With --serve-only: serve the image over NBD and print client commands to try."})
final class DemoCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);
    static final String EXPORT = "demo";
    /**
     * 512 MiB rather than the 1 GiB of the seed's experiment: half of it is data, and its 256 MiB
     * take about 22 s at 100 Mbit/s; with the image written, the workload on the source and the
     * verification, the demo ends within two minutes on a small, busy machine.
     */
    static final String DEFAULT_SIZE = "1G";

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--size", paramLabel = "SIZE",
            description = "Size of the demo disk, e.g. 64M, 1G (default: " + DEFAULT_SIZE + "; 256M with --serve-only).")
    private String size;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "reloc-demo",
            description = "Working directory for the images and the report (default: ./${DEFAULT-VALUE}).")
    private String dir;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the disk's content and of the workload's requests; the same seed gives the same disk and request sequence (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--rate", paramLabel = "RATE", defaultValue = "100mbit",
            description = "Bandwidth of the WAN link between destination and source, e.g. 100mbit, 1gbit (default: ${DEFAULT-VALUE}).")
    private String rate;

    @Option(names = "--rtt", paramLabel = "DURATION", defaultValue = "20ms",
            description = "Round-trip time of the WAN link (default: ${DEFAULT-VALUE}).")
    private String rtt;

    @Option(names = "--switch-after", paramLabel = "SECONDS", defaultValue = "5",
            description = "How long the VM runs on the source before it switches over (default: ${DEFAULT-VALUE}).")
    private long switchAfterSeconds;

    @Option(names = "--iops", paramLabel = "N", defaultValue = "200",
            description = "Requests per second of the VM-like workload, one at a time (default: ${DEFAULT-VALUE}).")
    private int iops;

    @Option(names = "--workload", paramLabel = "NAME", defaultValue = "vm",
            description = "The VM's I/O mix: vm (default), zipf, sequential, kernel or database; see docs/experiment.md.")
    private String workload;

    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = Proxy.DEFAULT_STRATEGY,
            description = "Background copy order, by plugin name (default: ${DEFAULT-VALUE}).")
    private String strategy;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "900",
            description = "Give up if the relocation has not completed this long after switch-over (default: ${DEFAULT-VALUE}).")
    private long timeoutSeconds;

    @Option(names = "--serve-only",
            description = "Only serve the image over NBD and print client commands to try (until Ctrl-C or --duration).")
    private boolean serveOnly;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "With --serve-only: address the NBD server listens on (default: " + ServeCommand.DEFAULT_LISTEN + ").")
    private String listen;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "With --serve-only: stop by itself after this many seconds (default: serve until Ctrl-C).")
    private Long durationSeconds;

    @Option(names = "--check",
            description = "With --serve-only (implied): run the read-only client commands (those installed) against the served demo, "
                    + "report each, then stop; exit 1 if one fails.")
    private boolean check;

    DemoCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        if (serveOnly || check) {
            return serve();
        }
        if (listen != null || durationSeconds != null) {
            throw new UsageException("--listen and --duration apply to --serve-only; the relocation demo uses ports chosen by the system");
        }
        long bytes = parseSize(size == null ? DEFAULT_SIZE : size);
        LinkSettings wan = WanCommand.settings(rtt, rate, "0");
        if (switchAfterSeconds < 0 || iops <= 0 || timeoutSeconds <= 0) {
            throw new UsageException("--switch-after must not be negative, --iops and --timeout must be positive");
        }
        if (!context.logging().verbose() && !context.env().containsKey(LogLevels.ENV)) {
            LogLevels.apply("WARN");  // log lines would break the live progress line
        }
        Path directory = context.cwd().resolve(dir).normalize();
        ExperimentCommand.checkWorkload(workload);
        DemoRelocation.Settings settings = new DemoRelocation.Settings(directory, bytes, seed, wan,
                Duration.ofSeconds(switchAfterSeconds), iops, Duration.ofSeconds(timeoutSeconds), workload, strategy,
                "Reloc demo", DemoRelocation.REPORT);
        try {
            return new DemoRelocation(settings, context.plugins().get(), context.out()).run();
        } catch (IOException e) {
            throw new CliException("the demo failed: " + e.getMessage(), e);
        }
    }

    private int serve() throws InterruptedException {
        long bytes = parseSize(size == null ? "256M" : size);
        ListenAddress address = ListenAddress.parse(listen == null ? ServeCommand.DEFAULT_LISTEN : listen);
        Optional<Duration> duration = ServeCommand.parseDuration(durationSeconds);
        Path image = context.cwd().resolve(dir).normalize().resolve("demo.img");

        DemoImage.Summary summary;
        try {
            summary = DemoImage.write(image, bytes, seed);
        } catch (IOException e) {
            throw new CliException("cannot write the demo image " + image + ": " + e.getMessage(), e);
        }
        log.info("wrote {}: {} ({} holes, {} text-like, {} random-like; seed {})", image, ByteSize.format(bytes),
                ByteSize.format(summary.zeroBytes()), ByteSize.format(summary.textBytes()),
                ByteSize.format(summary.randomBytes()), seed);

        ExportSpec spec = new ExportSpec(EXPORT, image, false, "Reloc demo disk (seed " + seed + ")");
        ExportServer server = ExportServer.start(context.plugins().get(), List.of(spec),
                List.of(new FrontEndSpec("nbd", address)));
        String uri = ClientUris.of("nbd", server.bound().get(0).address(), EXPORT);
        if (check) {
            return ServeLoop.serveWhile(server,
                    () -> new DemoCheck(uri, image, bytes, context.out()).run() == 0 ? ExitCodes.OK : ExitCodes.RUNTIME);
        }
        context.out().print(instructions(uri, image, bytes));
        context.out().flush();
        return ServeLoop.serve(server, duration);
    }

    static long parseSize(String text) {
        long bytes = ByteSize.parse(text);
        if (bytes < 1 << 20 || bytes % 512 != 0) {
            throw new UsageException("--size must be at least 1M and a multiple of 512 bytes: " + text);
        }
        return bytes;
    }

    /** The client commands to try, with the real URI and paths. */
    static String instructions(String uri, Path image, long size) {
        Path copy = image.resolveSibling("copy.img");
        return String.join("\n",
                "",
                "Reloc is serving the demo image " + image + " (" + ByteSize.format(size) + ") at",
                "",
                "    " + uri,
                "",
                "Try, in another terminal (Debian packages: libnbd-bin qemu-utils fio):",
                "",
                "    nbdinfo " + uri + "                       # size and flags",
                "    nbdinfo --map " + uri + "                 # data and holes",
                "    qemu-img info -f raw " + uri,
                "    qemu-img compare -U -f raw -F raw " + image + " " + uri,
                "    qemu-io -f raw -c 'read -v 0 256' " + uri,
                "    qemu-io -f raw -c 'write -P 0x5a 1M 64k' " + uri,
                "    nbdcopy --progress " + uri + " " + copy,
                "    fio --name=randread --ioengine=nbd --uri=" + uri + " --rw=randread --bs=4k --iodepth=16 --runtime=10 --time_based",
                "",
                "Press Ctrl-C to stop; the image is flushed and kept in " + image.getParent() + ".",
                "");
    }
}
