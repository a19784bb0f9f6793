package io.reloc.core.control;

import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A whole local relocation (file: source) driven through the control plane, then resumed. */
class ProxyControlTest {
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private ProxyConfig config(Path source, Path cache) {
        return new ProxyConfig(source.toUri(), cache, ProxyConfig.defaultMap(cache), 64 * 1024, false,
                Duration.ofSeconds(5), 0);
    }

    private String call(ControlServer control, String method, String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + control.address().getPort() + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri);
        request = method.equals("GET") ? request.GET() : request.POST(HttpRequest.BodyPublishers.noBody());
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void standbyThenActivateThenCompleteThenResumeWithoutTheSource() throws Exception {
        byte[] content = new byte[SIZE];
        new Random(11).nextBytes(content);
        Arrays.fill(content, SIZE / 2, SIZE / 2 + (1 << 20), (byte) 0);
        Path source = dir.resolve("source.img");
        // Sparse: the zero megabyte is a hole, which the copier must install without reading it.
        try (var file = new java.io.RandomAccessFile(source.toFile(), "rw")) {
            file.write(content, 0, SIZE / 2);
            file.seek(SIZE / 2 + (1 << 20));
            file.write(content, SIZE / 2 + (1 << 20), SIZE / 2 - (1 << 20));
        }
        Path cache = dir.resolve("cache.img");

        try (Proxy proxy = Proxy.start(config(source, cache), Plugins.load());
             ControlServer control = ControlServer.start(new InetSocketAddress("127.0.0.1", 0), proxy)) {
            String standby = call(control, "GET", "/status");
            assertTrue(standby.contains("\"state\":\"standby\"") && standby.contains("\"linkRateBytesPerSecond\":0"),
                    "nothing copied, no link rate measured: " + standby);
            ByteBuffer first = ByteBuffer.allocate(4096);
            proxy.device().read(0, first);
            assertArrayEquals(Arrays.copyOf(content, 4096), first.array());
            assertEquals(0, proxy.status().relocation().presentBlocks(), "standby must not keep what it reads");

            assertTrue(call(control, "POST", "/pause").contains("\"paused\":true"));
            String activated = call(control, "POST", "/activate");
            assertTrue(activated.contains("\"state\":\"paused\"") && activated.contains("\"activatedBy\":\"control\""), activated);
            assertTrue(call(control, "POST", "/rate?bytes-per-second=0").contains("\"rateBytesPerSecond\":0"));
            assertTrue(call(control, "POST", "/rate").contains("missing parameter"));
            assertTrue(call(control, "POST", "/resume").contains("\"state\":\"relocating\""));

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (proxy.status().relocation().state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String status = call(control, "GET", "/status");
            assertTrue(status.contains("\"state\":\"complete\"") && status.contains("\"source\":\"\""), status);
            assertEquals(16, proxy.status().relocation().zeroBlocks(), "the hole must not be transferred: " + status);
            assertTrue(status.contains("\"blocksTotal\":64") && status.contains("\"blocksPresent\":64"), status);
            // 48 blocks of data crossed (the hole did not), plus the 4 KiB forwarded in standby.
            assertEquals(48L * 65536 + 4096, proxy.status().bytesFromSource(), status);
            assertTrue(call(control, "POST", "/detach").contains("\"state\":\"complete\""), "detaching a complete relocation confirms it");
            assertTrue(call(control, "POST", "/reconnect").contains("no longer uses a source"));
        }
        assertArrayEquals(content, Files.readAllBytes(cache), "the cache must hold the whole source");

        Files.delete(source); // a completed relocation no longer needs it
        try (Proxy resumed = Proxy.start(config(source, cache), Plugins.load())) {
            assertEquals(RelocationState.COMPLETE, resumed.status().relocation().state());
            ByteBuffer all = ByteBuffer.allocate(SIZE);
            resumed.device().read(0, all);
            assertArrayEquals(content, all.array());
        }
    }

    /** A random source file of {@link #SIZE} bytes, made from {@code seed}. */
    private Path randomSource(long seed) throws IOException {
        byte[] content = new byte[SIZE];
        new Random(seed).nextBytes(content);
        return Files.write(dir.resolve("source.img"), content);
    }

    @Test
    void aStatusRequestCanWaitForAState() throws Exception {
        Path source = randomSource(13);
        Path cache = dir.resolve("cache.img");
        try (Proxy proxy = Proxy.start(config(source, cache), Plugins.load());
             ControlServer control = ControlServer.start(new InetSocketAddress("127.0.0.1", 0), proxy)) {
            long start = System.nanoTime();
            String timedOut = call(control, "GET", "/status?wait=complete&timeout=0.3");
            assertTrue(timedOut.contains("\"state\":\"standby\""), "after the timeout, the state as it is: " + timedOut);
            assertTrue(System.nanoTime() - start >= 300_000_000L, "it waited for the timeout");
            assertTrue(call(control, "GET", "/status?wait=done").contains("unknown state 'done'"));
            assertTrue(call(control, "GET", "/status?wait=complete&timeout=-1").contains("timeout must be"));

            var waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return call(control, "GET", "/status?wait=complete&timeout=60");
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            Thread.sleep(100);
            assertTrue(!waiter.isDone(), "still waiting: the proxy is in standby");
            call(control, "POST", "/activate");
            String complete = waiter.get(60, TimeUnit.SECONDS);
            assertTrue(complete.contains("\"state\":\"complete\"") && complete.contains("\"blocksPresent\":64"), complete);
        }
    }

    @Test
    void detachIsRefusedBeforeCompletionUnlessForcedThenAbsentBlocksFailWithEio() throws Exception {
        Path source = randomSource(12);
        byte[] content = Files.readAllBytes(source);
        Path cache = dir.resolve("cache.img");
        try (Proxy proxy = Proxy.start(config(source, cache), Plugins.load());
             ControlServer control = ControlServer.start(new InetSocketAddress("127.0.0.1", 0), proxy)) {
            call(control, "POST", "/pause");
            call(control, "POST", "/activate");
            ByteBuffer present = ByteBuffer.allocate(65536);
            proxy.device().read(0, present); // copy-on-read: block 0 is now local
            assertTrue(call(control, "POST", "/reconnect").contains("\"sourceConnected\":true"));

            String refused = call(control, "POST", "/detach");
            assertTrue(refused.contains("not complete (1 of 64 blocks present)"), refused);
            assertTrue(call(control, "POST", "/detach?force=maybe").contains("must be true or false"));
            String detached = call(control, "POST", "/detach?force=true");
            assertTrue(detached.contains("\"state\":\"detached\"") && detached.contains("\"sourceConnected\":false"), detached);

            ByteBuffer again = ByteBuffer.allocate(65536);
            proxy.device().read(0, again);
            assertArrayEquals(Arrays.copyOf(content, 65536), again.array(), "present blocks are still served");
            var error = assertThrows(io.reloc.api.BlockDeviceException.class, () -> proxy.device().read(SIZE - 4096, ByteBuffer.allocate(4096)));
            assertEquals(io.reloc.api.BlockError.IO, error.error(), "an absent block must fail, never read wrong data");
        }
    }

    @Test
    void aCacheOfAnotherSizeOrAForeignMapIsRefused() throws Exception {
        Path source = dir.resolve("source.img");
        Files.write(source, new byte[SIZE]);
        Path cache = dir.resolve("cache.img");
        Files.write(cache, new byte[SIZE / 2]);
        String size = assertThrows(IOException.class, () -> Proxy.start(config(source, cache), Plugins.load())).getMessage();
        assertTrue(size.contains("has " + SIZE / 2 + " bytes but the source has " + SIZE), size);

        Files.delete(cache);
        Proxy.start(config(source, cache), Plugins.load()).close();
        Files.delete(cache);
        Files.write(cache, new byte[SIZE]); // a different file where the cache was
        String replaced = assertThrows(IOException.class, () -> Proxy.start(config(source, cache), Plugins.load())).getMessage();
        assertTrue(replaced.contains("another cache file"), replaced);
    }
}
