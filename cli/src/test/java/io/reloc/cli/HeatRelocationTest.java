package io.reloc.cli;

import io.reloc.api.HotRegion;
import io.reloc.api.SourceConnector;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Target mode records heat; the heat survives a restart of the server; a relocation with each
 * strategy of the strategy modules asks for it and produces an exact copy.
 */
class HeatRelocationTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private ExportServer serve(Plugins plugins, Path image) {
        return ExportServer.start(plugins, List.of(new ExportSpec("d", image, false, "")),
                List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0"))), true);
    }

    @Test
    void serveRecordsHeatKeepsItAcrossRestartsAndEveryStrategyRelocatesExactly() throws Exception {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        Path image = dir.resolve("disk.img");
        byte[] content = new byte[8 * MIB];
        new Random(seed).nextBytes(content);
        Files.write(image, content);
        Plugins plugins = Plugins.load();
        SourceConnector nbd = plugins.sourceConnectors().get("nbd");

        ExportServer server = serve(plugins, image);
        try (DemoNbdClient client = DemoNbdClient.open(server.bound().getFirst().address(), "d")) {
            for (int i = 0; i < 5; i++) {
                client.read(6L * MIB + i * 4096, new byte[4096]);
            }
            client.read(2L * MIB, new byte[4096]);
        } finally {
            server.stop();
        }
        assertTrue(Files.exists(dir.resolve("disk.img.heat")), "saved beside the image on stop");

        server = serve(plugins, image);
        try {
            URI uri = URI.create("nbd://127.0.0.1:" + server.bound().getFirst().address().getPort() + "/d");
            List<HotRegion> heat = nbd.hotRegions(uri, 10);
            assertEquals(List.of(6L * MIB, 2L * MIB), heat.stream().map(HotRegion::offset).toList(),
                    "the restarted server still knows: " + heat);
            for (String strategy : List.of("linear", "readahead", "hotspot", "hotspot+readahead")) {
                Path cache = dir.resolve(strategy + ".img");
                try (Proxy proxy = Proxy.start(new ProxyConfig(uri, cache, ProxyConfig.defaultMap(cache), 64 * 1024, true,
                        Duration.ofSeconds(10), 0), plugins, strategy)) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                        if (System.nanoTime() > deadline) {
                            fail(strategy + ": relocation did not complete: " + proxy.status().relocation());
                        }
                        Thread.sleep(10);
                    }
                }
                assertEquals(-1, Files.mismatch(image, cache), strategy + ", seed " + seed);
            }
            assertEquals(heat.stream().map(HotRegion::offset).toList(), nbd.hotRegions(uri, 10).stream().map(HotRegion::offset).toList(),
                    "copying the disk away (over the relocation channel) is not a use of it");
        } finally {
            server.stop();
        }
    }
}
