package io.reloc.nbd.server;

import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import io.reloc.nbd.channel.ChannelCodecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import static io.reloc.nbd.server.RelocChannelServerTest.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A proxy with a rate limit has Reloc's server keep it (RELOC_PACE) on the background lane's
 * connections, follows a change of the limit, and the relocation still ends byte for byte.
 */
class RateLimitAtTheSourceTest {
    @TempDir
    Path dir;

    @Test
    void theServerPacesTheCopyAtTheLimitUntilItIsLifted() throws Exception {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("theServerPacesTheCopyAtTheLimitUntilItIsLifted seed " + seed + " (replay with -Dreloc.seed=" + seed + ")");
        byte[] content = new byte[8 << 20];
        new Random(seed).nextBytes(content);
        Path cache = dir.resolve("cache.img");
        try (NbdServer server = RelocChannelServerTest.serving(content, ChannelCodecs.standard())) {
            URI source = URI.create("nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk");
            // 1 MB/s: the 8 MiB copy would take 8 s; the limit is lifted long before.
            try (Proxy proxy = Proxy.start(new ProxyConfig(source, cache, ProxyConfig.defaultMap(cache), 64 * 1024, true,
                    Duration.ofSeconds(10), 1_000_000), Plugins.load())) {
                assertTrue(await(() -> server.pacers().groups() == 1), "the lane's connections are paced, as one group");
                assertTrue(proxy.status().relocation().state() != RelocationState.COMPLETE, "still copying");
                proxy.setRate(0);
                assertTrue(await(() -> server.pacers().groups() == 0), "lifting the limit ends the pacing");
                assertTrue(await(() -> proxy.status().relocation().state() == RelocationState.COMPLETE),
                        "relocation did not complete: " + proxy.status().relocation());
            }
            assertEquals(0, server.pacers().groups());
        }
        assertArrayEquals(content, Files.readAllBytes(cache), "seed " + seed);
    }
}
