package io.reloc.bench;

import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.bench.wan.ChunkLog;
import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.priority.RealTimeThreads;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import io.reloc.nbd.client.NbdSourceDevice;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Relocates a disk from a source served in-process by {@code reloc serve} (or by nbdkit, a plain
 * NBD server) through the WAN emulator to an in-process proxy, and reports time to completion
 * against the link's bound, the bytes that crossed the link and, while the copy runs, the latency
 * of a VM's 4 KiB reads of blocks not yet copied (demand fetches). Usage:
 * {@code WanRelocationBench SIZE_MIB random|vmlike|sparse RTT RATE [DIR] [OPTION...]}, e.g.
 * {@code 256 random 20ms 100mbit /tmp/w --block-size 4096}. Options: {@code --block-size BYTES}
 * (relocation block, default 65536), {@code --codec auto|none|NAME} (the Reloc channel's codec),
 * {@code --source reloc|serve|nbdkit} (in-process, {@code reloc serve} in its own JVM, or nbdkit),
 * {@code --probe-ms N} (one demand read every N ms, 0 for none; default 50),
 * {@code --channel adaptive|on|off} (the Reloc server's {@code reloc-channel} option, default adaptive),
 * {@code --warm-up SECONDS} (relocate for that long first and drop the copy, default 0),
 * {@code --idle-reads N} (first, N demand reads with the background copy paused: the idle link's figure),
 * {@code --realtime} (source and proxy as with their {@code --realtime}: the threads of virtual threads and
 * the NBD client's readers at real-time priority),
 * {@code --relay-priority realtime|normal} (the emulator's relay threads, see {@link WanLink#realTimeRelay}; default realtime),
 * {@code --breakdown} (after the row, a table of the parts of the demand reads, see
 * {@link DemandBreakdown}; with {@code --idle-reads}, one for the idle link's reads too). The
 * background copy's pacing and lane follow the system properties of
 * {@link io.reloc.core.relocation.BackgroundCopier} and {@link Proxy}.
 */
public final class WanRelocationBench {
    /** Set to true to print what crossed the link in each tenth of a second. */
    static final String TIMELINE_PROPERTY = "reloc.bench.timeline";
    private static final int CHUNK = 64 * 1024;
    private static final int PROBE_BYTES = 4096;
    private static final String PROBE_THREAD = "demand-probe";

    private WanRelocationBench() {}

    private record Options(int blockSize, String codec, String source, long probeMillis, String channel, long warmUpSeconds,
                           int idleReads, boolean breakdown, long rateBytesPerSecond, boolean realTimeRelay,
                           boolean realTime) {}

    private static Options options(String[] args, int from) {
        int blockSize = ProxyConfig.DEFAULT_BLOCK_SIZE;
        String codec = "auto";
        String source = "reloc";
        long probe = 50;
        String channel = "adaptive";
        long warmUp = 0;
        int idleReads = 0;
        boolean breakdown = false;
        long rate = 0;
        boolean realTimeRelay = true;
        boolean realTime = false;
        for (int i = from; i < args.length; i += 2) {
            if (args[i].equals("--breakdown")) {
                breakdown = true;
                i--;
                continue;
            }
            if (args[i].equals("--realtime")) {
                realTime = true;
                i--;
                continue;
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException("option " + args[i] + " has no value");
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--block-size" -> blockSize = Integer.parseInt(value);
                case "--codec" -> codec = value;
                case "--source" -> source = value;
                case "--probe-ms" -> probe = Long.parseLong(value);
                case "--channel" -> channel = value;
                case "--warm-up" -> warmUp = Long.parseLong(value);
                case "--idle-reads" -> idleReads = Integer.parseInt(value);
                case "--rate" -> rate = LinkSettings.parseRate(value) / 8;
                case "--relay-priority" -> realTimeRelay = WanLink.isRealTime(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; there are --block-size, --codec,"
                        + " --source, --probe-ms, --channel, --warm-up, --idle-reads, --rate, --relay-priority, --realtime, --breakdown");
            }
        }
        if ((idleReads > 0 || breakdown) && probe <= 0) {
            throw new IllegalArgumentException("--idle-reads and --breakdown need demand reads (--probe-ms above 0)");
        }
        return new Options(blockSize, codec, source, probe, channel, warmUp, idleReads, breakdown, rate, realTimeRelay, realTime);
    }

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]) << 20;
        String content = args[1];
        LinkSettings link = new LinkSettings(LinkSettings.parseDuration(args[2]), LinkSettings.parseRate(args[3]), Duration.ZERO);
        boolean hasDir = args.length > 4 && !args[4].startsWith("--");
        Path dir = hasDir ? Path.of(args[4]) : Files.createTempDirectory("reloc-wan-bench");
        Options options = options(args, hasDir ? 5 : 4);
        Path source = dir.resolve("source-" + content + "-" + (size >> 20) + ".img");
        long allocated = writeOnce(source, size, content, 42);
        Path cache = dir.resolve("cache-" + content + ".img");
        dropCopy(cache);

        // As `reloc proxy --realtime` and `reloc serve --realtime` would: source and proxy share this JVM.
        RealTimeThreads realTimeThreads = options.realTime() ? RealTimeThreads.start(realTimeThreadNames()) : null;
        Plugins plugins = Plugins.load();
        ExportRegistry exports = new ExportRegistry();
        FrontEnd server = null;
        Process sourceProcess = null;
        InetSocketAddress target;
        switch (options.source()) {
            case "reloc" -> {
                exports.add(new Export("d", "", plugins.stores().get("file").open(StoreSpec.file(source, true))));
                server = plugins.frontEnds().get("nbd").create(new FrontEndConfig(new InetSocketAddress("127.0.0.1", 0),
                        java.util.Map.of("reloc-channel", options.channel())), exports);
                server.start();
                target = server.localAddress();
            }
            case "nbdkit" -> {
                int port = freePort();
                sourceProcess = start("nbdkit", new ProcessBuilder("nbdkit", "-f", "-r", "-i", "127.0.0.1", "-p", Integer.toString(port),
                        "-e", "d", "file", source.toString()));
                target = new InetSocketAddress("127.0.0.1", port);
                awaitListening(sourceProcess, target);
            }
            case "serve" -> {
                // reloc serve in a JVM of its own, as on a real source host: its threads and garbage
                // do not share a heap and a scheduler's queue with the proxy's.
                int port = freePort();
                sourceProcess = start("reloc serve", relocServe(port, source, options.channel(), options.realTime()));
                target = new InetSocketAddress("127.0.0.1", port);
                awaitListening(sourceProcess, target);
            }
            default -> throw new IllegalArgumentException("--source must be reloc, serve or nbdkit");
        }
        String uptimeBefore = loadAverage();
        try (WanLink wan = WanLink.start(new InetSocketAddress("127.0.0.1", 0), target, link, 1)) {
            wan.realTimeRelay(options.realTimeRelay());
            URI uri = URI.create("nbd://127.0.0.1:" + wan.address().getPort() + "/d?codec=" + options.codec());
            if (options.warmUpSeconds() > 0) {
                warmUp(uri, cache, options, plugins);
            }
            // Each run's own connections are logged: its demand reads are split up below.
            DemandBreakdown idleBreakdown = options.breakdown() && options.idleReads() > 0 ? breakdown(wan, link) : null;
            Latencies idle = idleReads(uri, cache, options, plugins, wan, idleBreakdown);
            DemandBreakdown breakdown = options.breakdown() ? breakdown(wan, link) : null;
            long start = System.nanoTime();
            long downstreamBefore = wan.bytesDownstream();
            long wireBefore = downstreamBefore + wan.bytesUpstream();
            Latencies latencies = new Latencies();
            try (Proxy proxy = startProxy(uri, cache, options, plugins)) {
                Thread timeline = Boolean.getBoolean(TIMELINE_PROPERTY)
                        ? Thread.ofPlatform().daemon().name("timeline").start(() -> timeline(wan, start))
                        : null;
                Thread probe = options.probeMillis() > 0
                        ? Thread.ofPlatform().daemon().name(PROBE_THREAD).start(() -> probe(proxy, wan, options, latencies, Long.MAX_VALUE, breakdown))
                        : null;
                while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                    Thread.sleep(20);
                }
                for (Thread helper : new Thread[] {probe, timeline}) {
                    if (helper != null) {
                        helper.interrupt();
                        helper.join();
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long wire = wan.bytesDownstream() + wan.bytesUpstream() - wireBefore;
            double bound = allocated * 8.0 / link.bitsPerSecond();
            double busy = (wan.bytesDownstream() - downstreamBefore) * 8.0 / link.bitsPerSecond() / seconds;
            boolean same = Files.mismatch(source, cache) == -1;
            System.err.println("demand reads over 40 ms (start: latency):" + latencies.slowReads());
            System.out.printf(Locale.ROOT, "| %s | %d MiB | %s, %s RTT, relay %s | %s | %s, %d KiB blocks | %.1f MiB | %.1f s | %.1f s | %.0f%% | %.0f%% "
                            + "| %.1f MiB | %.3f | %s | %s | %s | %s → %s |%n",
                    content, size >> 20, args[3], args[2], wan.relayPriority(), options.source(), !options.source().equals("nbdkit")
                            ? options.codec() + (options.channel().equals("adaptive") ? "" : " (" + options.channel() + ")") : "plain NBD",
                    options.blockSize() >> 10, allocated / 1048576.0, seconds, bound, 100 * bound / seconds, 100 * busy,
                    wire / 1048576.0, (double) wire / Math.max(1, allocated), latencies.summary(),
                    idle.idleSummary(), same ? "identical" : "DIFFERENT", uptimeBefore, loadAverage());
            if (breakdown != null) {
                System.out.println();
                breakdown.table("").forEach(System.out::println);
            }
            if (idleBreakdown != null) {
                System.out.println();
                idleBreakdown.table("on the idle link").forEach(System.out::println);
            }
            if (!same) {
                System.exit(1);
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (sourceProcess != null) {
                sourceProcess.destroy();
                sourceProcess.waitFor();
            }
            exports.list().forEach(e -> {
                try {
                    e.device().close();
                } catch (IOException ignored) {
                    // exiting
                }
            });
            dropCopy(cache);
            if (realTimeThreads != null) {
                realTimeThreads.close();
            }
        }
    }

    /** An active proxy relocating into {@code cache}, as the bench measures it. */
    private static Proxy startProxy(URI uri, Path cache, Options options, Plugins plugins) throws IOException {
        return Proxy.start(new ProxyConfig(uri, cache, ProxyConfig.defaultMap(cache), options.blockSize(), true,
                Duration.ofSeconds(30), options.rateBytesPerSecond()), plugins);
    }

    /** Logs the chunks of the link's connections from now on, for a breakdown of the demand reads. */
    private static DemandBreakdown breakdown(WanLink wan, LinkSettings link) {
        ChunkLog chunks = new ChunkLog(2 * PROBE_BYTES);
        wan.logChunks(chunks);
        return new DemandBreakdown(chunks, link.oneWayDelayNanos(), PROBE_BYTES);
    }

    /** Removes a relocated copy and its map: every relocation of the bench starts from nothing. */
    private static void dropCopy(Path cache) throws IOException {
        Files.deleteIfExists(cache);
        Files.deleteIfExists(ProxyConfig.defaultMap(cache));
    }

    /**
     * Relocates the same disk through the same link for {@code --warm-up} seconds, then drops that
     * copy: the measured run then finds the server, the emulator and the proxy's code compiled, as
     * a long-running server is, instead of all three being compiled on the same cores during the
     * run (which a first run in a fresh JVM measures, and this bench's default still does).
     */
    private static void warmUp(URI uri, Path cache, Options options, Plugins plugins) throws IOException, InterruptedException {
        try (Proxy proxy = startProxy(uri, cache, options, plugins)) {
            Thread.sleep(options.warmUpSeconds() * 1000);
        }
        dropCopy(cache);
        Thread.sleep(1000); // what the warm-up left queued in the link drains
    }

    /**
     * The same demand reads through the same link with the background copy paused, {@code
     * --idle-reads} of them, before the measured run: what the link, the emulator and both ends
     * give a lone 4 KiB read, against which the reads during the copy show what background
     * traffic adds. (On a virtual machine a sleeping thread can wait milliseconds for its core,
     * which an idle link's reads pay too.)
     */
    private static Latencies idleReads(URI uri, Path cache, Options options, Plugins plugins, WanLink wan,
                                       DemandBreakdown breakdown) throws IOException, InterruptedException {
        Latencies idle = new Latencies();
        if (options.idleReads() > 0) {
            try (Proxy proxy = startProxy(uri, cache, options, plugins)) {
                proxy.pause();
                Thread.sleep(1000); // the fetches sent before the pause arrive
                probe(proxy, wan, options, idle, options.idleReads(), breakdown);
            }
            dropCopy(cache);
        }
        return idle;
    }

    /**
     * Prints to standard error what crossed towards the proxy in each tenth of a second, in MB,
     * from the proxy's start: where a run loses time (start-up, ramp, stalls) shows at a glance.
     */
    private static void timeline(WanLink wan, long start) {
        StringBuilder line = new StringBuilder("MB downstream per 100 ms:");
        long last = wan.bytesDownstream();
        try {
            for (long tick = 1; ; tick++) {
                Thread.sleep(Math.max(0, (start + tick * 100_000_000L - System.nanoTime()) / 1_000_000));
                long now = wan.bytesDownstream();
                line.append(String.format(Locale.ROOT, " %.1f", (now - last) / 1e6));
                last = now;
            }
        } catch (InterruptedException e) {
            System.err.println(line);
        }
    }

    /**
     * A VM reading 4 KiB at a random block the copy has not reached yet, every {@code probeMillis}:
     * each such read is a demand fetch across the link. Each is also told to {@code breakdown}
     * unless that is null.
     */
    private static void probe(Proxy proxy, WanLink wan, Options options, Latencies latencies, long reads,
                              DemandBreakdown breakdown) {
        SplittableRandom random = new SplittableRandom(7);
        var device = proxy.device();
        long blocks = device.geometry().blockCount();
        ByteBuffer buffer = ByteBuffer.allocate(PROBE_BYTES);
        try {
            for (long done = 0; done < reads && !Thread.currentThread().isInterrupted(); ) {
                Thread.sleep(options.probeMillis());
                long block = -1;
                for (int tries = 0; tries < 100 && block < 0; tries++) {
                    long candidate = random.nextLong(blocks);
                    if (!device.isPresent(candidate)) {
                        block = candidate;
                    }
                }
                if (block < 0 || device.state() != RelocationState.ACTIVE) {
                    continue;
                }
                long offset = device.geometry().start(block);
                buffer.clear();
                latencies.backlog(wan.downstreamBacklogNanos());
                long t0 = System.nanoTime();
                device.read(offset, buffer);
                long t1 = System.nanoTime();
                latencies.add(t0, t1 - t0);
                if (breakdown != null) {
                    breakdown.read(t0, t1);
                }
                done++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            System.err.println("demand read failed: " + e.getMessage());
        }
    }

    /** Demand-read latencies, in nanoseconds. Thread safe. */
    private static final class Latencies {
        private final List<Long> values = new ArrayList<>();
        private final List<Long> backlogs = new ArrayList<>();
        private final long start = System.nanoTime();
        private final StringBuilder slow = new StringBuilder();

        synchronized void add(long at, long nanos) {
            values.add(nanos);
            if (nanos > 40_000_000L) {
                slow.append(String.format(Locale.ROOT, " %.1fs:%.0fms", (at - start) / 1e9, nanos / 1e6));
            }
        }

        /** The bottleneck's queue (in time) when a demand read was issued. */
        synchronized void backlog(long nanos) {
            backlogs.add(nanos);
        }

        /** The reads slower than 40 ms and when they started, for the log. */
        synchronized String slowReads() {
            return slow.toString();
        }

        synchronized String summary() {
            if (values.isEmpty()) {
                return "– | – | 0 | –";
            }
            List<Long> sorted = sorted(values);
            List<Long> queue = sorted(backlogs);
            return String.format(Locale.ROOT, "%.1f ms | %.1f ms | %d | %.1f / %.1f ms", percentile(sorted, 50),
                    percentile(sorted, 99), sorted.size(), percentile(queue, 50), percentile(queue, 99));
        }

        /** p50 / p99 of the reads, for the idle-link column. */
        synchronized String idleSummary() {
            if (values.isEmpty()) {
                return "–";
            }
            List<Long> sorted = sorted(values);
            return String.format(Locale.ROOT, "%.1f / %.1f ms (%d)", percentile(sorted, 50), percentile(sorted, 99), sorted.size());
        }

        private static List<Long> sorted(List<Long> values) {
            List<Long> sorted = new ArrayList<>(values);
            Collections.sort(sorted);
            return sorted;
        }

        private static double percentile(List<Long> sorted, double p) {
            int index = (int) Math.ceil(p / 100 * sorted.size()) - 1;
            return sorted.get(Math.clamp(index, 0, sorted.size() - 1)) / 1e6;
        }
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Process start(String name, ProcessBuilder command) throws IOException {
        try {
            return command.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * The threads {@code reloc proxy --realtime} raises (those of virtual threads and the NBD
     * client's readers), and the VM's reader: it stands in for the proxy's NBD front end, whose
     * virtual threads would call the device on raised carriers.
     */
    private static List<String> realTimeThreadNames() {
        List<String> names = new ArrayList<>(RealTimeThreads.VIRTUAL_THREAD_SUPPORT);
        names.add(NbdSourceDevice.READER_THREAD_PREFIX);
        names.add(PROBE_THREAD);
        return names;
    }

    /** {@code reloc serve} on this JVM's java, class path and JVM options (the bench script's JIT settings). */
    private static ProcessBuilder relocServe(int port, Path image, String channel, boolean realTime) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.reloc.cli.Main", "-q", "serve",
                "--listen", "127.0.0.1:" + port, "--export", "d=" + image + ",readonly", "--no-heat",
                "--reloc-channel", channel));
        if (realTime) {
            command.add("--realtime");
        }
        return new ProcessBuilder(command);
    }

    private static void awaitListening(Process process, InetSocketAddress address) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(address, 1000);
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("the source (" + process.info().command().orElse("?") + ") did not start listening on "
                            + address + (process.isAlive() ? "" : ": it exited with status " + process.exitValue()), e);
                }
                Thread.sleep(50);
            }
        }
    }

    /** As {@link #write}, but reuses a disk written before (its allocated size is kept beside it). */
    static long writeOnce(Path path, long size, String content, long seed) throws IOException {
        Path note = path.resolveSibling(path.getFileName() + ".allocated");
        if (Files.exists(path) && Files.exists(note) && Files.size(path) == size) {
            return Long.parseLong(Files.readString(note).trim());
        }
        long allocated = write(path, size, content, seed);
        Files.writeString(note, Long.toString(allocated));
        return allocated;
    }

    /**
     * Writes a sparse test disk and returns how many bytes it holds as data. {@code random}: all
     * random; {@code vmlike}: of every ten 64 KiB chunks, four holes, three text-like, three
     * random; {@code sparse}: one chunk in ten random, the rest holes.
     */
    static long write(Path path, long size, String content, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] chunk = new byte[CHUNK];
        long allocated = 0;
        Files.deleteIfExists(path);
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(size);
            for (long offset = 0; offset < size; offset += CHUNK) {
                int kind = switch (content) {
                    case "random" -> 2;
                    case "vmlike" -> new int[] {0, 0, 0, 0, 1, 1, 1, 2, 2, 2}[random.nextInt(10)];
                    case "sparse" -> random.nextInt(10) == 0 ? 2 : 0;
                    default -> throw new IllegalArgumentException("content must be random, vmlike or sparse: " + content);
                };
                if (kind == 0) {
                    continue;
                }
                if (kind == 1) {
                    text(chunk, random);
                } else {
                    random.nextBytes(chunk);
                }
                file.seek(offset);
                file.write(chunk);
                allocated += CHUNK;
            }
        }
        return allocated;
    }

    private static void text(byte[] chunk, SplittableRandom random) {
        byte[] words = "the quick relocation of a live disk moves blocks across the wide area link while the guest runs "
                .getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = words[(i + random.nextInt(3)) % words.length];
        }
    }
}
