package io.reloc.cli;

import io.reloc.bench.wan.LinkSettings;
import io.reloc.core.relocation.Proxy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code reloc experiment paper}: the seed paper's experiment (Hirofuchi et al., the xNBD storage
 * relocation proxy) as faithfully as a machine without a hypervisor allows: a kernel-build-like
 * I/O mix runs against the disk at the source, the VM migrates in the middle of the build and the
 * build goes on at the destination while the disk relocates. Runs the demo's relocation
 * ({@link DemoRelocation}) with that workload and writes the same report: traffic on links A, B
 * and C over time, and the fraction of blocks present.
 */
@Command(name = "paper", sortOptions = false,
        description = {"Reproduce the seed paper's experiment (xNBD, Hirofuchi et al.): a kernel-build-like I/O mix "
                + "runs on the source, the VM migrates in the middle, the build goes on at the destination while "
                + "the disk relocates over a 100 Mbit/s WAN. Verifies every byte and writes " + PaperCommand.REPORT
                + " in --dir: NBD traffic on links A, B, C over time and the fraction of blocks present."})
final class PaperCommand implements Callable<Integer> {
    static final String REPORT = "reloc-paper-report.html";

    @ParentCommand
    private ExperimentCommand parent;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = DemoCommand.DEFAULT_SIZE,
            description = "Size of the disk (default: ${DEFAULT-VALUE}).")
    private String size;

    @Option(names = "--rate", paramLabel = "RATE", defaultValue = "100mbit",
            description = "Bandwidth of the WAN link (default: ${DEFAULT-VALUE}, as in the paper's WAN).")
    private String rate;

    @Option(names = "--rtt", paramLabel = "DURATION", defaultValue = "20ms",
            description = "Round-trip time of the WAN link (default: ${DEFAULT-VALUE}).")
    private String rtt;

    @Option(names = "--switch-after", paramLabel = "SECONDS", defaultValue = "20",
            description = "How long the build runs on the source before the VM migrates (default: ${DEFAULT-VALUE}).")
    private long switchAfterSeconds;

    @Option(names = "--iops", paramLabel = "N", defaultValue = "200",
            description = "Requests per second of the build, one at a time (default: ${DEFAULT-VALUE}).")
    private int iops;

    @Option(names = "--strategy", paramLabel = "NAME", defaultValue = Proxy.DEFAULT_STRATEGY,
            description = "Background copy order, by plugin name (default: ${DEFAULT-VALUE}).")
    private String strategy;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the disk's content and the build's requests (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "900",
            description = "Give up if the relocation has not completed this long after the migration (default: ${DEFAULT-VALUE}).")
    private long timeoutSeconds;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "reloc-paper",
            description = "Working directory for the images and the report (default: ./${DEFAULT-VALUE}).")
    private String dir;

    @Override
    public Integer call() throws InterruptedException {
        CliContext context = parent.context();
        long bytes = DemoCommand.parseSize(size);
        LinkSettings wan = WanCommand.settings(rtt, rate, "0");
        if (switchAfterSeconds < 0 || iops <= 0 || timeoutSeconds <= 0) {
            throw new UsageException("--switch-after must not be negative, --iops and --timeout must be positive");
        }
        ExperimentCommand.checkStrategy(context.plugins().get(), strategy);
        if (!context.logging().verbose() && !context.env().containsKey(LogLevels.ENV)) {
            LogLevels.apply("WARN");  // log lines would break the live progress line
        }
        Path directory = context.cwd().resolve(dir).normalize();
        DemoRelocation.Settings settings = new DemoRelocation.Settings(directory, bytes, seed, wan,
                Duration.ofSeconds(switchAfterSeconds), iops, Duration.ofSeconds(timeoutSeconds), "kernel", strategy,
                "xNBD experiment (Hirofuchi et al.) reproduced: a kernel-build-like I/O mix", REPORT);
        try {
            return new DemoRelocation(settings, context.plugins().get(), context.out()).run();
        } catch (IOException e) {
            throw new CliException("the experiment failed: " + e.getMessage(), e);
        }
    }
}
