package io.reloc.cli;

import io.reloc.bench.trace.TraceCsv;
import io.reloc.bench.trace.TraceRecord;
import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.workload.TraceWorkload;
import io.reloc.bench.workload.Workload;
import io.reloc.bench.workload.WorkloadDriver;
import io.reloc.bench.workload.Workloads;
import io.reloc.core.plugin.PluginException;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * {@code reloc experiment}: relocates the same generated disk once per copy strategy, through the
 * WAN emulator, while the same workload runs, and compares the runs in a table and an HTML report
 * ({@link ExperimentReport}). {@code reloc experiment paper} reproduces the seed paper's
 * experiment ({@link PaperCommand}).
 */
@Command(name = "experiment", sortOptions = false, subcommands = PaperCommand.class,
        description = {"Compare copy strategies: relocate the same generated disk over an emulated WAN once per "
                + "strategy while the same seeded workload runs (first on the source, then after switch-over on the "
                + "destination), and print per run: demand stalls, read latency p50/p99, fraction of reads served "
                + "locally, time to complete and bytes on the wire. Writes a self-contained HTML report with plots. "
                + "Exit 0 only if every run completed and verified. See docs/experiment.md."},
        footer = {"", "Examples:",
                "  reloc experiment --workload zipf --strategy linear,hotspot",
                "  reloc experiment --workload sequential --strategy linear,readahead --seed 7",
                "  reloc serve --export vm1=disk.img --trace vm1.csv    # record a trace, then:",
                "  reloc experiment --trace vm1.csv --size 1G"})
final class ExperimentCommand implements Callable<Integer> {
    static final String REPORT = "reloc-experiment-report.html";

    private final CliContext context;

    @Mixin
    private LoggingOptions logging;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    private boolean help;

    @Option(names = "--strategy", paramLabel = "NAME[,NAME...]", defaultValue = Proxy.DEFAULT_STRATEGY,
            description = "Copy strategies to compare, by plugin name, comma-separated; one run each, in this order "
                    + "(default: ${DEFAULT-VALUE}). NAME/precopy runs the strategy with hybrid pre-copy: copying starts "
                    + "in standby, while the workload still runs on the source.")
    private String strategies;

    @Option(names = "--workload", paramLabel = "NAME", defaultValue = "zipf",
            description = "zipf, sequential, kernel, database or vm (default: ${DEFAULT-VALUE}); ignored with --trace.")
    private String workload;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Replay a recorded trace (the CSV that 'reloc serve --trace' writes) instead of a generated workload.")
    private Path trace;

    @Option(names = "--size", paramLabel = "SIZE", defaultValue = "256M",
            description = "Size of the generated disk (default: ${DEFAULT-VALUE}).")
    private String size;

    @Option(names = "--rate", paramLabel = "RATE", defaultValue = "100mbit",
            description = "Bandwidth of the WAN link, e.g. 100mbit, 1gbit (default: ${DEFAULT-VALUE}).")
    private String rate;

    @Option(names = "--rtt", paramLabel = "DURATION", defaultValue = "20ms",
            description = "Round-trip time of the WAN link (default: ${DEFAULT-VALUE}).")
    private String rtt;

    @Option(names = "--codec", paramLabel = "NAME", defaultValue = "auto",
            description = "Codec of the relocation channel: auto, none, zstd, lz4, deflate, bzip2, xz (default: ${DEFAULT-VALUE}).")
    private String codec;

    @Option(names = "--history", paramLabel = "SECONDS", defaultValue = "3",
            description = "How long the workload runs on the source before the relocation starts: the VM's past, "
                    + "which the source records in its heat map (default: ${DEFAULT-VALUE}).")
    private long historySeconds;

    @Option(names = "--switch-after", paramLabel = "SECONDS", defaultValue = "2",
            description = "How long the workload then runs on the source, the proxy in standby (or pre-copying), "
                    + "before switch-over (default: ${DEFAULT-VALUE}).")
    private long switchAfterSeconds;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "15",
            description = "How long the workload runs after switch-over, as a number of requests: --iops times this "
                    + "(default: ${DEFAULT-VALUE}); the run then waits for the relocation to complete.")
    private long durationSeconds;

    @Option(names = "--iops", paramLabel = "N", defaultValue = "100",
            description = "Requests per second, each sent on time whatever happened to earlier ones, up to "
                    + WorkloadDriver.MAX_IN_FLIGHT + " in flight (default: ${DEFAULT-VALUE}).")
    private int iops;

    @Option(names = "--closed-loop",
            description = "Send one request at a time instead, each after the last was answered, as the harness did "
                    + "before: a run that stalls then sends fewer requests while it stalls (to repeat earlier figures).")
    private boolean closedLoop;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of the disk's content and the workload; the same seed gives the same requests (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Give up on a run this long after its switch-over (default: ${DEFAULT-VALUE}).")
    private long timeoutSeconds;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "reloc-experiment",
            description = "Working directory for the images (default: ./${DEFAULT-VALUE}).")
    private String dir;

    @Option(names = {"--output", "-o"}, paramLabel = "FILE",
            description = "The HTML report (default: " + REPORT + " in --dir).")
    private Path output;

    ExperimentCommand(CliContext context) {
        this.context = requireNonNull(context, "context is null");
    }

    CliContext context() {
        return context;
    }

    @Override
    public Integer call() throws InterruptedException {
        List<Variant> variants = variants(strategies);
        List<String> names = variants.stream().map(Variant::label).toList();
        long bytes = DemoCommand.parseSize(size);
        LinkSettings wan = WanCommand.settings(rtt, rate, "0");
        if (historySeconds < 0 || switchAfterSeconds < 0 || durationSeconds <= 0 || iops <= 0 || timeoutSeconds <= 0) {
            throw new UsageException("--history and --switch-after must not be negative; --duration, --iops and --timeout must be positive");
        }
        Supplier<Workload> workloads = workloads(bytes);
        Plugins plugins = context.plugins().get();
        variants.forEach(v -> checkStrategy(plugins, v.strategy()));
        if (!context.logging().verbose() && !context.env().containsKey(LogLevels.ENV)) {
            LogLevels.apply("WARN");  // log lines would break the progress lines
        }
        Path directory = context.cwd().resolve(dir).normalize();
        Path report = output == null ? directory.resolve(REPORT) : context.cwd().resolve(output).normalize();
        String workloadName = trace == null ? workload : "trace " + trace;
        List<String> setup = new ArrayList<>();
        setup.add(String.format(Locale.ROOT, "workload %s, seed %d; disk %s; link %s, %d ms RTT; codec %s",
                workloadName, seed, ByteSize.format(bytes), DemoRelocation.rate(wan.bitsPerSecond()), wan.rtt().toMillis(), codec));
        setup.add(String.format(Locale.ROOT, "%d s on the source, %d s more with the proxy started, then %d requests at %d per second "
                + "on the destination (%d s); %s", historySeconds, switchAfterSeconds, iops * durationSeconds, iops, durationSeconds,
                closedLoop ? "closed loop: one request at a time" : "open loop: every request on time, up to "
                        + WorkloadDriver.MAX_IN_FLIGHT + " in flight"));
        setup.add("reproduce: reloc experiment " + String.join(" ", reproduce(names)));
        setup.forEach(context.out()::println);
        try {
            Path pristine = directory.resolve("pristine.img");
            context.out().printf(Locale.ROOT, "Generating a %s VM-like disk (seed %d) ...%n", ByteSize.format(bytes), seed);
            context.out().flush();
            DemoImage.write(pristine, bytes, seed);
            ExperimentRun.Settings settings = new ExperimentRun.Settings(directory, pristine, wan, codec,
                    Duration.ofSeconds(historySeconds), Duration.ofSeconds(switchAfterSeconds), iops * durationSeconds, iops,
                    closedLoop ? WorkloadDriver.Mode.CLOSED_LOOP : WorkloadDriver.Mode.OPEN_LOOP, Duration.ofSeconds(timeoutSeconds), seed, workloads);
            ExperimentRun run = new ExperimentRun(settings, plugins, context.out());
            List<ExperimentResult> results = new ArrayList<>();
            for (Variant variant : variants) {
                results.add(run.run(variant));
            }
            Files.deleteIfExists(directory.resolve("source.img"));
            context.out().println();
            context.out().print(ExperimentReport.table(results));
            ExperimentReport.write(report, new ExperimentReport.Experiment("Reloc experiment: " + String.join(" vs ", names)
                    + " on " + workloadName, setup, results));
            context.out().println("report: " + report);
            context.out().flush();
            boolean ok = results.stream().allMatch(r -> r.completed() && r.verified());
            return ok ? ExitCodes.OK : ExitCodes.RUNTIME;
        } catch (IOException e) {
            throw new CliException("the experiment failed: " + e.getMessage(), e);
        }
    }

    /** The arguments that repeat this experiment. */
    private List<String> reproduce(List<String> names) {
        List<String> args = new ArrayList<>(List.of("--strategy", String.join(",", names)));
        if (trace == null) {
            args.addAll(List.of("--workload", workload));
        } else {
            args.addAll(List.of("--trace", trace.toString()));
        }
        args.addAll(List.of("--size", size, "--rate", rate, "--rtt", rtt, "--codec", codec,
                "--history", Long.toString(historySeconds), "--switch-after", Long.toString(switchAfterSeconds),
                "--duration", Long.toString(durationSeconds), "--iops", Integer.toString(iops), "--seed", Long.toString(seed)));
        if (closedLoop) {
            args.add("--closed-loop");
        }
        return args;
    }

    private Supplier<Workload> workloads(long bytes) {
        if (trace == null) {
            checkWorkload(workload);
            return () -> Workloads.create(workload, bytes, seed);
        }
        Path file = context.cwd().resolve(trace).normalize();
        try {
            List<TraceRecord> records = TraceCsv.read(file);
            TraceWorkload check = new TraceWorkload(records, bytes);
            context.out().println("trace " + file + ": " + records.size() + " requests, " + check.length() + " replayed per pass");
            return () -> new TraceWorkload(records, bytes);
        } catch (IOException e) {
            throw new CliException("cannot read the trace " + file + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** @throws UsageException naming the workloads there are */
    static void checkWorkload(String name) {
        try {
            Workloads.create(name, 1 << 20, 0);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /**
     * One run of an experiment: a strategy, with or without hybrid pre-copy.
     *
     * @param label what the table calls it: the strategy's name, then {@value #PRECOPY} if pre-copying
     */
    record Variant(String label, String strategy, boolean precopy) {
        static final String PRECOPY = "/precopy";

        Variant {
            requireNonNull(label, "label is null");
            requireNonNull(strategy, "strategy is null");
        }

        static Variant parse(String entry) {
            boolean precopy = entry.endsWith(PRECOPY);
            String strategy = precopy ? entry.substring(0, entry.length() - PRECOPY.length()) : entry;
            if (strategy.isEmpty() || strategy.contains("/")) {
                throw new UsageException("bad --strategy entry '" + entry + "': write NAME or NAME" + PRECOPY);
            }
            return new Variant(entry, strategy, precopy);
        }
    }

    /** The runs of a comma-separated list, each once, in order. */
    static List<Variant> variants(String list) {
        List<String> entries = new ArrayList<>(new LinkedHashSet<>(Arrays.stream(list.split(",")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList()));
        if (entries.isEmpty()) {
            throw new UsageException("--strategy needs at least one strategy name, e.g. linear");
        }
        return entries.stream().map(Variant::parse).toList();
    }

    /** Fails with the strategies there are, as the proxy would, before any run starts. */
    static void checkStrategy(Plugins plugins, String name) {
        if (plugins.strategies().find(name).isEmpty() && !name.equals(Proxy.DEFAULT_STRATEGY)) {
            try {
                plugins.strategies().get(name);
            } catch (PluginException e) {
                throw new UsageException(e.getMessage());
            }
        }
    }
}
