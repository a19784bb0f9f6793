package io.reloc.nbd.client;

import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** nbdkit does not know the relocation channel: the client falls back to plain NBD and still relocates. */
@Tag("interop")
class RelocChannelInteropTest {
    private static final int SIZE = 16 << 20;

    @TempDir
    Path dir;

    @Test
    void theClientFallsBackToPlainReadsAgainstNbdkit() throws Exception {
        Path source = dir.resolve("source.img");
        long seed = System.nanoTime();
        System.out.println("theClientFallsBackToPlainReadsAgainstNbdkit seed " + seed);
        byte[] content = InteropTest.randomFile(source, seed, SIZE);
        int port = ExternalServer.freePort();
        Path cache = dir.resolve("cache.img");
        try (ExternalServer nbdkit = ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "file", source.toString())) {
            String uri = "nbd://127.0.0.1:" + port + "/disk?codec=zstd";
            try (NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(URI.create(uri)))) {
                assertEquals("", device.negotiated().channelCodec(), "nbdkit refused the option");
                assertTrue(device.negotiated().structuredReplies());
                byte[] out = new byte[SIZE];
                device.read(0, ByteBuffer.wrap(out));
                assertArrayEquals(content, out, "seed " + seed);
                assertEquals(0, device.channelStats().snapshot().decodedBytes());
            }
            try (Proxy proxy = Proxy.start(new ProxyConfig(URI.create(uri), cache, ProxyConfig.defaultMap(cache),
                    64 * 1024, true, Duration.ofSeconds(10), 0), Plugins.load())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                    if (System.nanoTime() > deadline) {
                        fail("relocation did not complete: " + proxy.status().relocation());
                    }
                    Thread.sleep(20);
                }
            }
        }
        assertEquals(-1, Files.mismatch(source, cache), "seed " + seed);
    }
}
