package io.reloc.examples.http;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The example plugin of docs/guide/integrating.md, found by {@link Plugins#load()} and used for a whole relocation. */
class HttpSourcePluginTest {
    private static final int SIZE = 4 * 1024 * 1024 + 4096;

    @TempDir
    Path dir;

    private static byte[] image(long seed) {
        System.out.println("image seed " + seed);
        byte[] image = new byte[SIZE];
        new Random(seed).nextBytes(image);
        return image;
    }

    @Test
    void pluginsFindTheConnectorByScheme() {
        Plugins plugins = Plugins.load();
        assertTrue(plugins.sourceConnectors().names().contains("http"), "http source: " + plugins.sourceConnectors().names());
        assertTrue(plugins.pluginNames().stream().anyMatch(n -> n.contains("HttpSourcePlugin")), plugins.pluginNames().toString());
    }

    @Test
    void readsRangesOfTheImage() throws IOException {
        byte[] image = image(1);
        try (ImageHttpServer server = new ImageHttpServer(image, true);
             BlockDevice device = Plugins.load().sourceConnectors().get("http").open(server.uri())) {
            assertEquals(SIZE, device.size());
            assertTrue(device.isReadOnly());
            ByteBuffer dst = ByteBuffer.allocate(10_000);
            device.read(SIZE - 10_000, dst);
            assertArrayEquals(Arrays.copyOfRange(image, SIZE - 10_000, SIZE), dst.array());
            BlockDeviceException outside = assertThrows(BlockDeviceException.class,
                    () -> device.read(SIZE - 1, ByteBuffer.allocate(2)));
            assertEquals(BlockError.INVALID, outside.error());
            assertEquals(BlockError.READ_ONLY, assertThrows(BlockDeviceException.class,
                    () -> device.write(0, ByteBuffer.allocate(1), false)).error());
        }
    }

    @Test
    void refusesAServerWithoutRanges() throws IOException {
        try (ImageHttpServer server = new ImageHttpServer(new byte[4096], false)) {
            IOException e = assertThrows(IOException.class, () -> new HttpSourceConnector().open(server.uri()));
            assertTrue(e.getMessage().contains("does not serve byte ranges"), e.getMessage());
        }
    }

    @Test
    void refusesAMissingImageWithTheStatus() throws IOException {
        try (ImageHttpServer server = new ImageHttpServer(new byte[4096], true)) {
            IOException e = assertThrows(IOException.class,
                    () -> new HttpSourceConnector().open(server.uri().resolve("/other.img")));
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
        }
    }

    @Test
    void relocatesADiskFromAWebServer() throws Exception {
        byte[] image = image(2);
        Path cache = dir.resolve("vm1.img");
        try (ImageHttpServer server = new ImageHttpServer(image, true)) {
            ProxyConfig config = new ProxyConfig(server.uri(), cache, ProxyConfig.defaultMap(cache),
                    ProxyConfig.DEFAULT_BLOCK_SIZE, true, Duration.ofSeconds(5), 0);
            try (Proxy proxy = Proxy.start(config, Plugins.load())) {
                long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
                while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                    assertTrue(System.nanoTime() < deadline, "not complete after a minute: " + proxy.status().toJson());
                    Thread.sleep(50);
                }
            }
            assertTrue(server.rangeRequests() > 0, "the blocks came over HTTP");
        }
        assertArrayEquals(image, Files.readAllBytes(cache));
    }
}
