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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A relocation from Reloc's NBD server through the WAN emulator: with the relocation channel a
 * compressible disk crosses the link in far fewer bytes than it holds; without it (codec=none) in
 * about as many; the link rate the copy reports measuring is no more than the link carries.
 * Byte counts and the link's cap only, never times.
 */
class RelocChannelWanTest {
    private static final int SIZE = 24 << 20;
    private static final int CHUNK = 64 * 1024;
    private static final LinkSettings FAST = new LinkSettings(Duration.ofMillis(4), 400_000_000L, Duration.ZERO);

    @TempDir
    Path dir;

    @Test
    void aCompressibleDiskCrossesTheLinkInFewerBytesThanItHolds() throws Exception {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("aCompressibleDiskCrossesTheLinkInFewerBytesThanItHolds seed " + seed
                + " (replay with -Dreloc.seed=" + seed + ")");
        Path source = dir.resolve("source.img");
        long allocated = writeText(source, seed);
        long channel = relocate(source, "auto", FAST).wireBytes();
        long plain = relocate(source, "none", FAST).wireBytes();
        System.out.printf("allocated %d bytes; on the wire: %d with the channel (zstd), %d without (%.2fx less)%n",
                allocated, channel, plain, (double) plain / channel);
        assertTrue(channel < allocated / 2, "channel: " + channel + " bytes on the wire for " + allocated + " allocated");
        assertTrue(plain >= allocated * 9 / 10, "plain NBD moves the data as it is: " + plain + " for " + allocated);
    }

    /**
     * What people read to choose {@code --rate}: a rate the copy measured, and not one above the
     * link (the link's cap is exact; the rate is the median of the copy's last round trips, so a
     * round that a burst of replies made look fast does not show).
     */
    @Test
    void theMeasuredLinkRateIsReportedAndNotAboveTheLink() throws Exception {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("theMeasuredLinkRateIsReportedAndNotAboveTheLink seed " + seed + " (replay with -Dreloc.seed=" + seed + ")");
        Path source = dir.resolve("random.img");
        byte[] random = new byte[SIZE];
        new SplittableRandom(seed).nextBytes(random);
        Files.write(source, random);
        LinkSettings settings = new LinkSettings(Duration.ofMillis(10), 100_000_000L, Duration.ZERO);
        long measured = relocate(source, "auto", settings).linkRate();
        double link = settings.bitsPerSecond() / 8.0;
        System.out.printf("measured %.1f Mbit/s on a %.1f Mbit/s link%n", measured * 8 / 1e6, link * 8 / 1e6);
        assertTrue(measured > 0 && measured <= 1.05 * link, measured + " B/s measured on a link of " + link);
    }

    /** The bytes that crossed the link both ways, and the link rate the proxy reported measuring at the end. */
    private record Relocated(long wireBytes, long linkRate) {}

    /** Relocates through a fresh link. */
    private Relocated relocate(Path source, String codec, LinkSettings settings) throws Exception {
        Path cache = dir.resolve("cache-" + codec + ".img");
        Plugins plugins = Plugins.load();
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("d", "", plugins.stores().get("file").open(StoreSpec.file(source, true))));
        try (FrontEnd server = plugins.frontEnds().get("nbd").create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)), exports);
             AutoCloseable devices = () -> exports.list().forEach(e -> {
                 try {
                     e.device().close();
                 } catch (IOException ignored) {
                     // closing after the test
                 }
             })) {
            server.start();
            try (WanLink wan = WanLink.start(new InetSocketAddress("127.0.0.1", 0), server.localAddress(), settings, 1)) {
                URI uri = URI.create("nbd://127.0.0.1:" + wan.address().getPort() + "/d?codec=" + codec);
                long linkRate;
                try (Proxy proxy = Proxy.start(new ProxyConfig(uri, cache, ProxyConfig.defaultMap(cache), CHUNK, true,
                        Duration.ofSeconds(30), 0), plugins)) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                    while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                        if (System.nanoTime() > deadline) {
                            fail("relocation with codec " + codec + " did not complete: " + proxy.status().relocation());
                        }
                        Thread.sleep(20);
                    }
                    linkRate = proxy.status().linkRateBytesPerSecond();
                }
                assertEquals(-1, Files.mismatch(source, cache), "codec " + codec);
                return new Relocated(wan.bytesDownstream() + wan.bytesUpstream(), linkRate);
            }
        }
    }

    /** A sparse disk: of every ten 64 KiB chunks three are holes, seven text-like. Returns the data bytes. */
    private static long writeText(Path path, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        String[] words = {"relocation", "block", "device", "the", "of", "kernel", "extent", "server", "0x1f3a",
                "error", "\n", "cache", "write", "read", "=", "{", "}", "volume", "2026-11-26", "usr/lib"};
        long allocated = 0;
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(SIZE);
            for (long offset = 0; offset < SIZE; offset += CHUNK) {
                if (random.nextInt(10) < 3) {
                    continue;
                }
                StringBuilder sb = new StringBuilder(CHUNK + 32);
                while (sb.length() < CHUNK) {
                    sb.append(words[random.nextInt(words.length)]).append(' ');
                }
                file.seek(offset);
                file.write(sb.substring(0, CHUNK).getBytes(StandardCharsets.US_ASCII));
                allocated += CHUNK;
            }
        }
        return allocated;
    }
}
