package io.reloc.nbd.client;

import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A whole relocation whose source is reloc's own NBD server, in process. */
class RelocationFromRelocServerTest {
    @TempDir
    Path dir;

    @Test
    void relocatesByteForByteWithHolesAndAnOddTail() throws Exception {
        long seed = System.nanoTime();
        System.out.println("relocatesByteForByteWithHolesAndAnOddTail seed " + seed);
        Random random = new Random(seed);
        // Not a multiple of the relocation block size, with zero ranges the block status reports.
        byte[] content = new byte[(8 << 20) + 12345];
        for (int at = 0; at < content.length; at += 1 << 20) {
            if (random.nextBoolean()) {
                byte[] data = new byte[Math.min(300_000, content.length - at)];
                random.nextBytes(data);
                System.arraycopy(data, 0, content, at, data.length);
            }
        }
        MemoryBlockStore disk = new MemoryBlockStore(content.length);
        disk.write(0, ByteBuffer.wrap(content), false);
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", disk));
        Plugins plugins = Plugins.load();
        Path cache = dir.resolve("cache.img");
        try (FrontEnd server = plugins.frontEnds().get("nbd").create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)), exports)) {
            server.start();
            URI source = URI.create("nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk");
            try (Proxy proxy = Proxy.start(new ProxyConfig(source, cache, ProxyConfig.defaultMap(cache), 64 * 1024, true,
                    Duration.ofSeconds(10), 0), plugins)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                    if (System.nanoTime() > deadline) {
                        fail("relocation did not complete: " + proxy.status().relocation());
                    }
                    Thread.sleep(20);
                }
            }
        }
        assertArrayEquals(content, Files.readAllBytes(cache), "seed " + seed);
    }
}
