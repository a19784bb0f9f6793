package io.reloc.cli;

import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.workload.BlockClient;
import io.reloc.bench.workload.ClientPool;
import io.reloc.bench.workload.Latencies;
import io.reloc.bench.workload.StallProbe;
import io.reloc.bench.workload.Workload;
import io.reloc.bench.workload.WorkloadDriver;
import io.reloc.bench.workload.WriteLog;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.relocation.RelocationStatus;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * One run of an experiment: one copy strategy (with or without hybrid pre-copy), one workload,
 * from a fresh copy of the source image. Every phase is a number of requests (its length times
 * the rate), so every run sends the same requests in each, whatever stalls cost in time. The
 * workload runs on the source for {@code history} (the VM's past, which the source records), then
 * the proxy starts in standby (or pre-copying) and the workload goes on on the source for
 * {@code switchAfter}; then the proxy is activated and {@code requestsAfterSwitch} requests run
 * against the destination; then the run waits for the relocation to complete and verifies the
 * destination.
 */
final class ExperimentRun {

    /**
     * What every run of an experiment shares.
     *
     * @param pristine the generated source image, copied afresh for each run
     * @param history how long the workload runs on the source before the relocation starts
     * @param switchAfter how long it then runs on the source while the proxy is in standby (or pre-copies)
     * @param workload a new workload, the same request sequence each time
     * @param requestsAfterSwitch how many requests run against the destination
     */
    record Settings(Path dir, Path pristine, LinkSettings wan, String codec, Duration history, Duration switchAfter,
                    long requestsAfterSwitch, int iops, WorkloadDriver.Mode mode, Duration timeout, long seed,
                    Supplier<Workload> workload) {
        Settings {
            requireNonNull(history, "history is null");
            requireNonNull(dir, "dir is null");
            requireNonNull(pristine, "pristine is null");
            requireNonNull(wan, "wan is null");
            requireNonNull(codec, "codec is null");
            requireNonNull(switchAfter, "switchAfter is null");
            requireNonNull(timeout, "timeout is null");
            requireNonNull(workload, "workload is null");
            requireNonNull(mode, "mode is null");
        }
    }

    private final Settings settings;
    private final Plugins plugins;
    private final PrintWriter out;

    ExperimentRun(Settings settings, Plugins plugins, PrintWriter out) {
        this.settings = requireNonNull(settings, "settings is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.out = requireNonNull(out, "out is null");
    }

    ExperimentResult run(ExperimentCommand.Variant variant) throws IOException, InterruptedException {
        String strategy = variant.label();
        Path image = settings.dir().resolve("source.img");
        SparseCopy.copy(settings.pristine(), image);
        // An access heat map that an earlier run's source recorded beside its image must not guide this run.
        Files.deleteIfExists(image.resolveSibling(image.getFileName() + ".heat"));
        WriteLog writes = new WriteLog(settings.seed());
        Latencies reads = new Latencies();
        RelocationRig.Setup setup = new RelocationRig.Setup(image, settings.dir().resolve("destination.img"), settings.wan(),
                variant.strategy(), settings.codec(), variant.precopy());
        try (RelocationRig rig = RelocationRig.startSource(plugins, setup)) {
            WorkloadDriver driver = new WorkloadDriver(settings.workload().get(), writes, settings.iops(), settings.mode());
            AtomicLong switchMillis = new AtomicLong(-1);
            AtomicLong completeMillis = new AtomicLong(-1);
            RigSampler sampler = null;
            double completeSeconds;
            long requests;
            try {
                Proxy proxy;
                try (ClientPool vm = connect(rig.sourceForVm())) {
                    // The VM's history on the source, which a strategy may learn from (the source's heat map).
                    out.printf(Locale.ROOT, "  %-12s %d s on the source before the relocation starts ...", strategy,
                            settings.history().toSeconds());
                    out.flush();
                    // Counted in requests, as every phase is, so that every run sends the same requests in each.
                    long historyEnd = requests(settings.history());
                    driver.run(vm, StallProbe.NONE, new Latencies(), () -> driver.requests() >= historyEnd);
                    rig.startRelocation(plugins, setup);
                    proxy = rig.proxy();
                    sampler = new RigSampler(rig, (now, then) -> {
                        // Sampled, so the time of completion is known to 250 ms while the workload runs on.
                        if (completeMillis.get() < 0 && switchMillis.get() >= 0 && complete(proxy)) {
                            completeMillis.set(now.millis());
                        }
                        out.print("\r" + progressLine(strategy, now, switchMillis.get(), reads) + "   ");
                        out.flush();
                    });
                    sampler.start();
                    long switchAt = historyEnd + requests(settings.switchAfter());
                    driver.run(vm, StallProbe.NONE, new Latencies(), () -> driver.requests() >= switchAt);
                    flush(vm);
                }
                proxy.activate();
                switchMillis.set(sampler.millis());
                long deadline = System.nanoTime() + settings.timeout().toNanos();
                long first = driver.requests();
                try (ClientPool vm = connect(rig.destinationForVm())) {
                    driver.run(vm, rig.stallProbe(), reads,
                            () -> driver.requests() - first >= settings.requestsAfterSwitch() || System.nanoTime() >= deadline);
                    flush(vm);
                }
                requests = driver.requests() - first;
                if (driver.boundHits() > 0) {
                    out.printf(Locale.ROOT, "%n  %-12s %d times a request was due with %d in flight: the schedule slipped",
                            strategy, driver.boundHits(), WorkloadDriver.MAX_IN_FLIGHT);
                }
                while (!complete(proxy) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                if (complete(proxy)) {
                    completeMillis.compareAndSet(-1, sampler.millis());
                }
                completeSeconds = complete(proxy) ? (completeMillis.get() - switchMillis.get()) / 1000.0 : Double.NaN;
            } finally {
                if (sampler != null) {
                    sampler.stop();
                }
                out.println();
            }
            Proxy proxy = rig.proxy();
            RelocationStatus status = proxy.status().relocation();
            RelocationRig.Verification verification = rig.verify(image, writes);
            if (!verification.ok()) {
                out.println("  FAILED: the destination differs from the source image plus the writes at byte " + verification.firstMismatch());
            }
            List<DemoSample> samples = sampler.samples().stream()
                    .filter(s -> s.millis() >= switchMillis.get())
                    .map(s -> new DemoSample(s.millis() - switchMillis.get(), s.linkA(), s.linkB(), s.linkC(), s.demandBytes(),
                            s.fractionPresent(), s.stalls()))
                    .toList();
            return new ExperimentResult(strategy, reads, requests, completeSeconds, rig.linkCBytes(), status.demandFetches(),
                    status.backgroundFetches(), verification.ok(), samples);
        }
    }

    /** The VM's connections: one request at a time in closed loop; in open loop a few opened ahead. */
    private ClientPool connect(InetSocketAddress address) throws IOException {
        return ClientPool.open(address, RelocationRig.EXPORT, settings.mode() == WorkloadDriver.Mode.CLOSED_LOOP ? 1 : 4);
    }

    /** The VM's flush before switch-over, once every request it sent has been answered. */
    static void flush(ClientPool vm) throws IOException {
        BlockClient client = vm.take();
        try {
            client.flush();
        } finally {
            vm.give(client);
        }
    }

    /** How many requests a phase of this length sends at the experiment's rate. */
    private long requests(Duration phase) {
        return phase.toSeconds() * settings.iops();
    }

    private static boolean complete(Proxy proxy) {
        return proxy.status().relocation().state() == RelocationState.COMPLETE;
    }

    private static String progressLine(String strategy, DemoSample now, long switchMillis, Latencies reads) {
        String phase = switchMillis < 0 ? "VM on source"
                : now.fractionPresent() >= 1 ? "complete" : String.format(Locale.ROOT, "%.1fs after switch-over", (now.millis() - switchMillis) / 1000.0);
        return String.format(Locale.ROOT, "  %-12s %5.1f%% present | link C %s | stalls %d of %d reads | %s",
                strategy, 100 * now.fractionPresent(), ByteSize.format(now.linkC()), reads.stalls(), reads.count(), phase);
    }
}
