package io.reloc.bench;

import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Relocates a disk from an in-process {@code reloc serve} through the WAN emulator to an
 * in-process proxy and reports time to completion against the link's bound and the bytes that
 * crossed the link. Usage:
 * {@code WanRelocationBench SIZE_MIB random|vmlike|sparse RTT RATE [DIR]}, e.g.
 * {@code 256 random 20ms 100mbit}.
 */
public final class WanRelocationBench {
    private static final int CHUNK = 64 * 1024;

    private WanRelocationBench() {}

    public static void main(String[] args) throws Exception {
        long size = Long.parseLong(args[0]) << 20;
        String content = args[1];
        LinkSettings link = new LinkSettings(LinkSettings.parseDuration(args[2]), LinkSettings.parseRate(args[3]), Duration.ZERO);
        Path dir = args.length > 4 ? Path.of(args[4]) : Files.createTempDirectory("reloc-wan-bench");
        Path source = dir.resolve("source-" + content + ".img");
        long allocated = write(source, size, content, 42);
        Path cache = dir.resolve("cache-" + content + ".img");
        Files.deleteIfExists(cache);
        Files.deleteIfExists(ProxyConfig.defaultMap(cache));

        Plugins plugins = Plugins.load();
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("d", "", plugins.stores().get("file").open(StoreSpec.file(source, true))));
        FrontEnd server = plugins.frontEnds().get("nbd").create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)), exports);
        server.start();
        try (WanLink wan = WanLink.start(new InetSocketAddress("127.0.0.1", 0), server.localAddress(), link, 1)) {
            long start = System.nanoTime();
            URI uri = URI.create("nbd://127.0.0.1:" + wan.address().getPort() + "/d");
            try (Proxy proxy = Proxy.start(new ProxyConfig(uri, cache, ProxyConfig.defaultMap(cache), CHUNK, true,
                    Duration.ofSeconds(30), 0), plugins)) {
                while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                    Thread.sleep(20);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long wire = wan.bytesDownstream() + wan.bytesUpstream();
            double bound = allocated * 8.0 / link.bitsPerSecond();
            boolean same = Files.mismatch(source, cache) == -1;
            System.out.printf(Locale.ROOT, "| %s | %d MiB | %s, %s RTT | %.1f MiB | %.1f s | %.1f s | %.0f%% | %.1f MiB | %.3f | %s |%n",
                    content, size >> 20, args[3], args[2], allocated / 1048576.0, seconds, bound, 100 * bound / seconds,
                    wire / 1048576.0, (double) wire / Math.max(1, allocated), same ? "identical" : "DIFFERENT");
            if (!same) {
                System.exit(1);
            }
        } finally {
            server.close();
            exports.list().forEach(e -> {
                try {
                    e.device().close();
                } catch (IOException ignored) {
                    // exiting
                }
            });
        }
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
