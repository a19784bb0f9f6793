package io.reloc.cli;

import io.reloc.api.Export;
import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import io.reloc.core.plugin.PluginException;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.relocation.RelocationStatus;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * The relocation demo in one process on loopback: the demo image served by a source server; a
 * relocating proxy at the destination, in standby, fetching from the source over an emulated WAN
 * (link C); a VM-like workload that uses the source through link A, then switches over to the
 * proxy through link B (activating it, as a live migration would) and keeps going until the
 * relocation completes; then every byte of the destination is checked against the source image
 * plus the VM's writes, and a summary and an HTML report are written.
 *
 * <p>Links A and B have no bandwidth cap and a tiny delay: they only count the VM's traffic.
 */
final class DemoRelocation {
    static final String REPORT = "reloc-demo-report.html";
    private static final String EXPORT = DemoCommand.EXPORT;
    private static final long SAMPLE_MILLIS = 250;
    private static final LinkSettings LOCAL = new LinkSettings(Duration.ofNanos(200_000), 0, Duration.ZERO);

    /**
     * How to run the demo.
     *
     * @param dir where the images and the report go
     * @param wan link C between destination and source
     * @param switchAfter how long the VM runs on the source before switching over
     * @param iops the workload's request rate
     * @param timeout how long the relocation may take after switch-over before the demo gives up
     */
    record Settings(Path dir, long size, long seed, LinkSettings wan, Duration switchAfter, int iops, Duration timeout) {
        Settings {
            requireNonNull(dir, "dir is null");
            requireNonNull(wan, "wan is null");
            requireNonNull(switchAfter, "switchAfter is null");
            requireNonNull(timeout, "timeout is null");
        }
    }

    private enum Phase { SOURCE, DESTINATION, COMPLETE }

    private final Settings settings;
    private final Plugins plugins;
    private final PrintWriter out;
    private final List<DemoSample> samples = new CopyOnWriteArrayList<>();
    private final DemoLatencies before = new DemoLatencies();
    private final DemoLatencies after = new DemoLatencies();
    private final DemoWrites writes;
    private volatile Phase phase = Phase.SOURCE;
    private long startNanos;

    DemoRelocation(Settings settings, Plugins plugins, PrintWriter out) {
        this.settings = requireNonNull(settings, "settings is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.out = requireNonNull(out, "out is null");
        this.writes = new DemoWrites(settings.seed());
    }

    /** Runs the demo; returns the exit status: 0 only if the destination verified. */
    int run() throws IOException, InterruptedException {
        Path dir = settings.dir();
        Path image = dir.resolve("demo.img");
        Path cache = dir.resolve("destination.img");
        Path map = ProxyConfig.defaultMap(cache);
        long wallStart = System.nanoTime();
        out.printf(Locale.ROOT, "Generating a %s VM-like disk in %s ...%n", ByteSize.format(settings.size()), image);
        out.flush();
        DemoImage.Summary content = DemoImage.write(image, settings.size(), settings.seed());
        double imageSeconds = (System.nanoTime() - wallStart) / 1e9;
        Files.deleteIfExists(cache);
        Files.deleteIfExists(map);
        out.printf(Locale.ROOT, "  %s of data, %s of holes; link C: %s, %d ms RTT; the VM switches over after %d s%n",
                ByteSize.format(content.textBytes() + content.randomBytes()), ByteSize.format(content.zeroBytes()),
                rate(settings.wan().bitsPerSecond()), settings.wan().rtt().toMillis(), settings.switchAfter().toSeconds());
        out.flush();

        List<Closeable> opened = new ArrayList<>();
        ExportServer source = null;
        ExportServer destination = null;
        try {
            source = ExportServer.start(plugins, List.of(new ExportSpec(EXPORT, image, false, "Reloc demo source")),
                    List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0"))));
            InetSocketAddress sourceAddress = source.bound().get(0).address();
            WanLink linkA = link(sourceAddress, LOCAL, opened);
            WanLink linkC = link(sourceAddress, settings.wan(), opened);
            URI sourceUri = URI.create(ClientUris.of("nbd", linkC.address(), EXPORT));
            ProxyConfig config = new ProxyConfig(sourceUri, cache, map, ProxyConfig.DEFAULT_BLOCK_SIZE, false,
                    ProxyConfig.DEFAULT_HOLD, 0);
            Proxy proxy = startProxy(config);
            destination = ExportServer.serve(plugins, List.of(new Export(EXPORT, "relocating demo disk", proxy.device())),
                    List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0"))), List.of(proxy::stopBackgroundCopy));
            WanLink linkB = link(destination.bound().get(0).address(), LOCAL, opened);

            startNanos = System.nanoTime();
            Thread sampler = Thread.ofPlatform().daemon().name("demo-progress").start(
                    () -> sample(proxy, linkA, linkB, linkC, config.blockSize()));
            long switchMillis;
            long completeMillis;
            try {
                DemoWorkload workload = new DemoWorkload(settings.size(), settings.seed());
                try (DemoNbdClient vm = DemoNbdClient.open(linkA.address(), EXPORT)) {
                    long until = System.nanoTime() + settings.switchAfter().toNanos();
                    runWorkload(vm, workload, before, () -> System.nanoTime() >= until);
                    vm.flush();
                }
                // Switch-over: the VM's disk I/O has stopped and is flushed; the destination takes over.
                proxy.activate();
                switchMillis = millis();
                phase = Phase.DESTINATION;
                long deadline = System.nanoTime() + settings.timeout().toNanos();
                try (DemoNbdClient vm = DemoNbdClient.open(linkB.address(), EXPORT)) {
                    runWorkload(vm, workload, after, () -> proxy.status().relocation().state() == RelocationState.COMPLETE
                            || System.nanoTime() >= deadline);
                    vm.flush();
                }
                if (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                    waitForCompletion(proxy, deadline);
                }
                completeMillis = millis();
                if (proxy.status().relocation().state() == RelocationState.COMPLETE) {
                    phase = Phase.COMPLETE;
                }
            } finally {
                sampler.interrupt();
                sampler.join();
                samples.add(sample(proxy, linkA, linkB, linkC, config.blockSize(), millis()));
                out.println();
            }
            RelocationStatus status = proxy.status().relocation();
            long verifyStart = System.nanoTime();
            Verification verification = verify(proxy, image);
            double verifySeconds = (System.nanoTime() - verifyStart) / 1e9;
            DemoSample last = samples.get(samples.size() - 1);
            List<String> summary = summary(status, verification, last, switchMillis, completeMillis, content);
            Path report = dir.resolve(REPORT);
            summary.add(String.format(Locale.ROOT, "wall time: %.1f s in all (writing the image %.1f s, verifying %.1f s)",
                    (System.nanoTime() - wallStart) / 1e9, imageSeconds, verifySeconds));
            DemoReport.write(report, new DemoReport.Run("Reloc demo: relocating a " + ByteSize.format(settings.size())
                    + " disk over " + rate(settings.wan().bitsPerSecond()) + ", " + settings.wan().rtt().toMillis() + " ms RTT",
                    summary, samples, switchMillis, completeMillis));
            summary.forEach(out::println);
            out.println("report: " + report);
            out.flush();
            // Reads through an incomplete proxy fetch what is missing, so a verified copy alone is not success.
            return verification.ok() && status.state() == RelocationState.COMPLETE ? ExitCodes.OK : ExitCodes.RUNTIME;
        } finally {
            if (destination != null) {
                destination.stop();
            }
            for (Closeable c : opened) {
                closeQuietly(c);
            }
            if (source != null) {
                source.stop();
            }
        }
    }

    /** Runs requests at the configured rate until {@code done}; reads are timed into {@code latencies}. */
    private void runWorkload(DemoNbdClient vm, DemoWorkload workload, DemoLatencies latencies, Done done)
            throws IOException, InterruptedException {
        long interval = TimeUnit.SECONDS.toNanos(1) / Math.max(1, settings.iops());
        long next = System.nanoTime();
        byte[] buffer = new byte[64 * 1024];
        while (!done.done()) {
            DemoWorkload.Op op = workload.next();
            if (op.write()) {
                vm.write(op.offset(), writes.next(op.offset(), op.length()));
            } else {
                byte[] dst = op.length() == buffer.length ? buffer : new byte[op.length()];
                long t0 = System.nanoTime();
                vm.read(op.offset(), dst);
                latencies.add(System.nanoTime() - t0);
            }
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            } else if (wait < -TimeUnit.SECONDS.toNanos(1)) {
                next = System.nanoTime();  // a stall is not made up for by a burst afterwards
            }
        }
    }

    @FunctionalInterface
    private interface Done {
        boolean done();
    }

    private static void waitForCompletion(Proxy proxy, long deadline) throws InterruptedException {
        while (proxy.status().relocation().state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    /** Samples every 250 ms and redraws the progress line, until interrupted. */
    private void sample(Proxy proxy, WanLink a, WanLink b, WanLink c, int blockSize) {
        long next = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            DemoSample s = sample(proxy, a, b, c, blockSize, millis());
            samples.add(s);
            out.print("\r" + progressLine(s) + "   ");
            out.flush();
            next += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static DemoSample sample(Proxy proxy, WanLink a, WanLink b, WanLink c, int blockSize, long millis) {
        RelocationStatus r = proxy.status().relocation();
        return new DemoSample(millis, bytes(a), bytes(b), bytes(c), r.demandFetches() * blockSize, r.fractionPresent(),
                r.demandFetches());
    }

    /** Fraction present, link C over the last second (split into demand and background), stalls so far. */
    private String progressLine(DemoSample now) {
        DemoSample then = now;
        for (int i = samples.size() - 1; i >= 0 && now.millis() - samples.get(i).millis() <= 1000; i--) {
            then = samples.get(i);
        }
        double seconds = Math.max(1, now.millis() - then.millis()) / 1000.0;
        long cBytes = now.linkC() - then.linkC();
        long demand = Math.min(cBytes, now.demandBytes() - then.demandBytes());
        String where = switch (phase) {
            case SOURCE -> "VM on source";
            case DESTINATION -> "VM on destination";
            case COMPLETE -> "complete";
        };
        return String.format(Locale.ROOT, "%5.1fs  %5.1f%% present | link C %6.1f Mbit/s (demand %5.1f, background %5.1f) | stalls %d | %s",
                now.millis() / 1000.0, 100 * now.fractionPresent(), DemoReport.mbit(cBytes, seconds),
                DemoReport.mbit(demand, seconds), DemoReport.mbit(cBytes - demand, seconds), now.stalls(), where);
    }

    /** The outcome of checking the destination. */
    record Verification(boolean ok, long checkedBytes, long firstMismatch) {}

    /** Reads the destination whole and compares it with the source image plus the VM's writes. */
    private Verification verify(Proxy proxy, Path image) throws IOException {
        out.print("Verifying every byte of the destination ...");
        out.flush();
        long size = proxy.device().size();
        int chunk = 1 << 20;
        byte[] expected = new byte[chunk];
        byte[] actual = new byte[chunk];
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ)) {
            for (long offset = 0; offset < size; offset += chunk) {
                int length = (int) Math.min(chunk, size - offset);
                readFully(file, offset, ByteBuffer.wrap(expected, 0, length));
                writes.apply(offset, expected, length);
                proxy.device().read(offset, ByteBuffer.wrap(actual, 0, length));
                int mismatch = Arrays.mismatch(expected, 0, length, actual, 0, length);
                if (mismatch >= 0) {
                    out.println(" MISMATCH");
                    return new Verification(false, offset, offset + mismatch);
                }
            }
        }
        out.println(" done");
        return new Verification(true, size, -1);
    }

    private static void readFully(FileChannel file, long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (file.read(dst, offset + dst.position()) < 0) {
                throw new IOException("the source image ended early at " + (offset + dst.position()));
            }
        }
    }

    private List<String> summary(RelocationStatus status, Verification v, DemoSample last, long switchMillis,
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
        lines.add(latencyLine("before switch-over", before));
        lines.add(latencyLine("after switch-over ", after));
        return lines;
    }

    private static String latencyLine(String phase, DemoLatencies latencies) {
        if (latencies.count() == 0) {
            return "read latency " + phase + ": no reads";
        }
        return String.format(Locale.ROOT, "read latency %s: p50 %.2f ms, p99 %.2f ms (%d reads)", phase,
                latencies.percentileMillis(50), latencies.percentileMillis(99), latencies.count());
    }

    private Proxy startProxy(ProxyConfig config) throws IOException {
        try {
            return Proxy.start(config, plugins);
        } catch (PluginException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    private long millis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static WanLink link(InetSocketAddress target, LinkSettings settings, List<Closeable> opened) throws IOException {
        WanLink link = WanLink.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), target, settings, 1);
        opened.add(link);
        return link;
    }

    private static long bytes(WanLink link) {
        return link.bytesUpstream() + link.bytesDownstream();
    }

    static String rate(long bitsPerSecond) {
        if (bitsPerSecond == 0) {
            return "unlimited bandwidth";
        }
        return bitsPerSecond % 1_000_000_000 == 0 ? bitsPerSecond / 1_000_000_000 + " Gbit/s"
                : bitsPerSecond % 1_000_000 == 0 ? bitsPerSecond / 1_000_000 + " Mbit/s"
                : String.format(Locale.ROOT, "%.3f Mbit/s", bitsPerSecond / 1e6);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // stopping anyway
        }
    }
}
