package io.reloc.nbd.client;

import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.relocation.RelocationStatus;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A whole relocation from nbdkit through the NBD source connector, with and without a source crash. */
@Tag("interop")
class RelocationInteropTest {
    private static final int SIZE = 32 << 20;

    @TempDir
    Path dir;

    @Test
    void relocatesAnNbdkitExportByteForByte() throws Exception {
        Path source = dir.resolve("source.img");
        long seed = System.nanoTime();
        System.out.println("relocatesAnNbdkitExportByteForByte seed " + seed);
        InteropTest.randomFile(source, seed, SIZE);
        int port = ExternalServer.freePort();
        Path cache = dir.resolve("cache.img");
        try (ExternalServer nbdkit = ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "file", source.toString());
             Proxy proxy = Proxy.start(config(port, cache, 0), Plugins.load())) {
            waitFor(proxy, s -> s.state() == RelocationState.COMPLETE, "completion");
        }
        assertSameBytes(source, cache);
    }

    @Test
    void relocationSurvivesNbdkitDyingAndComingBack() throws Exception {
        Path source = dir.resolve("source.img");
        long seed = System.nanoTime();
        System.out.println("relocationSurvivesNbdkitDyingAndComingBack seed " + seed);
        InteropTest.randomFile(source, seed, SIZE);
        int port = ExternalServer.freePort();
        Path cache = dir.resolve("cache.img");
        // A rate limit keeps the copy running long enough to be interrupted.
        try (ExternalServer nbdkit = ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "file", source.toString());
             Proxy proxy = Proxy.start(config(port, cache, 16 << 20), Plugins.load())) {
            waitFor(proxy, s -> s.presentBlocks() >= s.blockCount() / 10, "a tenth of the blocks");
            nbdkit.kill();
            RelocationStatus during = proxy.status().relocation();
            System.out.println("killed nbdkit with " + during.presentBlocks() + " of " + during.blockCount() + " blocks present");
            Thread.sleep(500); // lets the copier hit the dead source before it comes back
            nbdkit.start();
            proxy.setRate(0);
            waitFor(proxy, s -> s.state() == RelocationState.COMPLETE, "completion after the restart");
        }
        assertSameBytes(source, cache);
    }

    private static ProxyConfig config(int port, Path cache, long rate) {
        return new ProxyConfig(URI.create("nbd://127.0.0.1:" + port + "/disk"), cache, ProxyConfig.defaultMap(cache),
                64 * 1024, true, Duration.ofSeconds(10), rate);
    }

    private static void waitFor(Proxy proxy, Predicate<RelocationStatus> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!done.test(proxy.status().relocation())) {
            if (System.nanoTime() > deadline) {
                fail("no " + what + " within 120 s: " + proxy.status().relocation());
            }
            Thread.sleep(20);
        }
    }

    private static void assertSameBytes(Path expected, Path actual) throws Exception {
        assertEquals(Files.size(expected), Files.size(actual));
        long mismatch = Files.mismatch(expected, actual);
        assertTrue(mismatch < 0, "cache differs from the source at byte " + mismatch);
    }
}
