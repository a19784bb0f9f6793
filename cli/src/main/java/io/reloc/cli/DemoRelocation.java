package io.reloc.cli;

import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.workload.ClientPool;
import io.reloc.bench.workload.Latencies;
import io.reloc.bench.workload.StallProbe;
import io.reloc.bench.workload.WorkloadDriver;
import io.reloc.bench.workload.Workloads;
import io.reloc.bench.workload.WriteLog;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.relocation.RelocationStatus;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The relocation demo in one process on loopback ({@link RelocationRig}): a VM-like workload uses
 * the source through link A, then switches over to the proxy through link B (activating it, as a
 * live migration would) and keeps going until the relocation completes; then every byte of the
 * destination is checked against the source image plus the VM's writes, and a summary and an HTML
 * report are written. {@code reloc experiment paper} runs it with the kernel-build mix.
 *
 * <p>The VM sends one request at a time (closed loop), as a guest doing synchronous I/O: sent on
 * time regardless (open loop, as {@code reloc experiment} does), the demo's 200 requests per
 * second ask for more demand fetches than link C carries, and reads queue for seconds.
 */
final class DemoRelocation {
    static final String REPORT = "reloc-demo-report.html";

    /**
     * How to run the demo.
     *
     * @param dir where the images and the report go
     * @param wan link C between destination and source
     * @param switchAfter how long the VM runs on the source before switching over
     * @param iops the workload's request rate
     * @param timeout how long the relocation may take after switch-over before the demo gives up
     * @param workload the workload's name ({@link Workloads})
     * @param strategy the background copy strategy's name
     * @param title what the report is called, before the disk and link are named
     * @param report the report's file name in {@code dir}
     */
    record Settings(Path dir, long size, long seed, LinkSettings wan, Duration switchAfter, int iops, Duration timeout,
                    String workload, String strategy, String title, String report) {
        Settings {
            requireNonNull(dir, "dir is null");
            requireNonNull(wan, "wan is null");
            requireNonNull(switchAfter, "switchAfter is null");
            requireNonNull(timeout, "timeout is null");
            requireNonNull(workload, "workload is null");
            requireNonNull(strategy, "strategy is null");
            requireNonNull(title, "title is null");
            requireNonNull(report, "report is null");
        }
    }

    private enum Phase { SOURCE, DESTINATION, COMPLETE }

    private final Settings settings;
    private final Plugins plugins;
    private final PrintWriter out;
    private final Latencies before = new Latencies();
    private final Latencies after = new Latencies();
    private final WriteLog writes;
    private volatile Phase phase = Phase.SOURCE;

    DemoRelocation(Settings settings, Plugins plugins, PrintWriter out) {
        this.settings = requireNonNull(settings, "settings is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.out = requireNonNull(out, "out is null");
        this.writes = new WriteLog(settings.seed());
    }

    /** Runs the demo; returns the exit status: 0 only if the destination verified. */
    int run() throws IOException, InterruptedException {
        Path dir = settings.dir();
        Path image = dir.resolve("demo.img");
        long wallStart = System.nanoTime();
        out.printf(Locale.ROOT, "Generating a %s VM-like disk in %s ...%n", ByteSize.format(settings.size()), image);
        out.flush();
        DemoImage.Summary content = DemoImage.write(image, settings.size(), settings.seed());
        double imageSeconds = (System.nanoTime() - wallStart) / 1e9;
        out.printf(Locale.ROOT, "  %s of data, %s of holes; link C: %s, %d ms RTT; the VM switches over after %d s%n",
                ByteSize.format(content.textBytes() + content.randomBytes()), ByteSize.format(content.zeroBytes()),
                rate(settings.wan().bitsPerSecond()), settings.wan().rtt().toMillis(), settings.switchAfter().toSeconds());
        out.flush();

        RelocationRig.Setup setup = new RelocationRig.Setup(image, dir.resolve("destination.img"), settings.wan(),
                settings.strategy(), "auto", false);
        try (RelocationRig rig = RelocationRig.start(plugins, setup)) {
            Proxy proxy = rig.proxy();
            RigSampler sampler = new RigSampler(rig, (now, then) -> {
                out.print("\r" + progressLine(now, then) + "   ");
                out.flush();
            });
            sampler.start();
            long switchMillis;
            long completeMillis;
            try {
                WorkloadDriver driver = new WorkloadDriver(Workloads.create(settings.workload(), settings.size(), settings.seed()),
                        writes, settings.iops(), WorkloadDriver.Mode.CLOSED_LOOP);
                try (ClientPool vm = ClientPool.open(rig.sourceForVm(), RelocationRig.EXPORT, 1)) {
                    long until = System.nanoTime() + settings.switchAfter().toNanos();
                    driver.run(vm, StallProbe.NONE, before, () -> System.nanoTime() >= until);
                    ExperimentRun.flush(vm);
                }
                // Switch-over: the VM's disk I/O has stopped and is flushed; the destination takes over.
                proxy.activate();
                switchMillis = sampler.millis();
                phase = Phase.DESTINATION;
                long deadline = System.nanoTime() + settings.timeout().toNanos();
                try (ClientPool vm = ClientPool.open(rig.destinationForVm(), RelocationRig.EXPORT, 1)) {
                    driver.run(vm, rig.stallProbe(), after,
                            () -> complete(proxy) || System.nanoTime() >= deadline);
                    ExperimentRun.flush(vm);
                }
                while (!complete(proxy) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                completeMillis = sampler.millis();
                if (complete(proxy)) {
                    phase = Phase.COMPLETE;
                }
            } finally {
                sampler.stop();
                out.println();
            }
            RelocationStatus status = proxy.status().relocation();
            long verifyStart = System.nanoTime();
            out.print("Verifying every byte of the destination ...");
            out.flush();
            RelocationRig.Verification verification = rig.verify(image, writes);
            out.println(verification.ok() ? " done" : " MISMATCH");
            double verifySeconds = (System.nanoTime() - verifyStart) / 1e9;
            List<DemoSample> samples = sampler.samples();
            DemoSample last = samples.get(samples.size() - 1);
            List<String> summary = summary(status, verification, last, switchMillis, completeMillis, content);
            Path report = dir.resolve(settings.report());
            summary.add(String.format(Locale.ROOT, "wall time: %.1f s in all (writing the image %.1f s, verifying %.1f s)",
                    (System.nanoTime() - wallStart) / 1e9, imageSeconds, verifySeconds));
            DemoReport.write(report, new DemoReport.Run(settings.title() + ": relocating a " + ByteSize.format(settings.size())
                    + " disk over " + rate(settings.wan().bitsPerSecond()) + ", " + settings.wan().rtt().toMillis() + " ms RTT",
                    summary, samples, switchMillis, completeMillis));
            summary.forEach(out::println);
            out.println("report: " + report);
            out.flush();
            // Reads through an incomplete proxy fetch what is missing, so a verified copy alone is not success.
            return verification.ok() && status.state() == RelocationState.COMPLETE ? ExitCodes.OK : ExitCodes.RUNTIME;
        }
    }

    private static boolean complete(Proxy proxy) {
        return proxy.status().relocation().state() == RelocationState.COMPLETE;
    }

    /**
     * Fraction present, link C over the last second (split into demand and background), stalls so
     * far; {@code earlier} is a sample about a second before {@code now}.
     */
    private String progressLine(DemoSample now, DemoSample earlier) {
        double seconds = Math.max(1, now.millis() - earlier.millis()) / 1000.0;
        long cBytes = now.linkC() - earlier.linkC();
        long demand = Math.min(cBytes, now.demandBytes() - earlier.demandBytes());
        String where = switch (phase) {
            case SOURCE -> "VM on source";
            case DESTINATION -> "VM on destination";
            case COMPLETE -> "complete";
        };
        return String.format(Locale.ROOT, "%5.1fs  %5.1f%% present | link C %6.1f Mbit/s (demand %5.1f, background %5.1f) | stalls %d | %s",
                now.millis() / 1000.0, 100 * now.fractionPresent(), DemoReport.mbit(cBytes, seconds),
                DemoReport.mbit(demand, seconds), DemoReport.mbit(cBytes - demand, seconds), now.stalls(), where);
    }

    private List<String> summary(RelocationStatus status, RelocationRig.Verification v, DemoSample last, long switchMillis,
                                 long completeMillis, DemoImage.Summary content) {
        long size = settings.size();
        List<String> lines = new ArrayList<>();
        lines.add(v.ok()
                ? String.format(Locale.ROOT, "verified: all %s of the destination match the source image plus the VM's writes (%d pages)",
                        ByteSize.format(v.checkedBytes()), writes.pages())
                : "FAILED: the destination differs from the source image plus the VM's writes at byte " + v.firstMismatch());
        lines.add(String.format(Locale.ROOT, "relocation: %s in %.1f s after switch-over (%.1f s on the source before; run %.1f s)%s",
                ByteSize.format(size), (completeMillis - switchMillis) / 1000.0, switchMillis / 1000.0, last.millis() / 1000.0,
                status.state() == RelocationState.COMPLETE ? ", detached from the source"
                        : ", NOT complete: the --timeout of " + settings.timeout().toSeconds() + " s ran out"));
        long demand = Math.min(last.linkC(), last.demandBytes());
        lines.add(String.format(Locale.ROOT, "on the wire: link C %s (%.0f%% of the disk, which holds %s of data; ~%s demand, ~%s background)",
                ByteSize.format(last.linkC()), 100.0 * last.linkC() / size, ByteSize.format(content.textBytes() + content.randomBytes()),
                ByteSize.format(demand), ByteSize.format(last.linkC() - demand)));
        lines.add(String.format(Locale.ROOT, "             link A (VM to source) %s, link B (VM to destination) %s",
                ByteSize.format(last.linkA()), ByteSize.format(last.linkB())));
        lines.add(String.format(Locale.ROOT, "blocks: %d of %d present; %d fetched on demand (stalls), %d in the background, %d zero (not sent)",
                status.presentBlocks(), status.blockCount(), status.demandFetches(), status.backgroundFetches(), status.zeroBlocks()));
        lines.add(String.format(Locale.ROOT, "workload: %s, seed %d, %d requests per second; copy strategy: %s",
                settings.workload(), settings.seed(), settings.iops(), settings.strategy()));
        lines.add(latencyLine("before switch-over", before));
        lines.add(latencyLine("after switch-over ", after));
        return lines;
    }

    private static String latencyLine(String phase, Latencies latencies) {
        if (latencies.count() == 0) {
            return "read latency " + phase + ": no reads";
        }
        return String.format(Locale.ROOT, "read latency %s: p50 %.2f ms, p99 %.2f ms (%d reads)", phase,
                latencies.percentileMillis(50), latencies.percentileMillis(99), latencies.count());
    }

    static String rate(long bitsPerSecond) {
        if (bitsPerSecond == 0) {
            return "unlimited bandwidth";
        }
        return bitsPerSecond % 1_000_000_000 == 0 ? bitsPerSecond / 1_000_000_000 + " Gbit/s"
                : bitsPerSecond % 1_000_000 == 0 ? bitsPerSecond / 1_000_000 + " Mbit/s"
                : String.format(Locale.ROOT, "%.3f Mbit/s", bitsPerSecond / 1e6);
    }
}
