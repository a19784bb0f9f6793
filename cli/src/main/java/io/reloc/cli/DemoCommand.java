package io.reloc.cli;

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
 * {@code reloc demo}: makes a VM-like demo image, serves it as export {@code demo} and prints the
 * client commands to try against it.
 */
@Command(name = "demo", sortOptions = false,
        description = {"Serve a generated VM-like demo disk over NBD and print client commands to try.",
                "The image is sparse and deterministic (--seed). Serves until Ctrl-C or --duration."})
final class DemoCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(DemoCommand.class);
    static final String EXPORT = "demo";

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "256M",
            description = "Size of the demo image, e.g. 64M, 1G (default: ${DEFAULT-VALUE}).")
    private String size;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "reloc-demo",
            description = "Working directory for the image (default: ./${DEFAULT-VALUE}).")
    private String dir;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = ServeCommand.DEFAULT_LISTEN,
            description = "Address the NBD server listens on (default: ${DEFAULT-VALUE}).")
    private String listen;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the image content; the same seed and size give the same bytes (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop by itself after this many seconds (default: serve until Ctrl-C).")
    private Long durationSeconds;

    @Option(names = "--check",
            description = "Run the read-only client commands (those installed) against the demo, report each, then stop; exit 1 if one fails.")
    private boolean check;

    DemoCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public Integer call() throws InterruptedException {
        long bytes = parseSize(size);
        ListenAddress address = ListenAddress.parse(listen);
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
