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
import io.reloc.core.tracking.DirtyBlocks;
import io.reloc.core.tracking.TrackedDevice;
import io.reloc.core.tracking.TrackingUnavailableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Write tracking over NBD against Reloc's own server, in process, and a whole pre-copying relocation. */
class PrecopyFromRelocServerTest {
    private static final int BLOCK = 64 * 1024;
    private static final int SIZE = (4 << 20) + 12345; // an odd tail

    @TempDir
    Path dir;

    private final byte[] content = new byte[SIZE];
    private TrackedDevice tracked;
    private FrontEnd server;
    private Plugins plugins;

    @BeforeEach
    void serve() throws IOException {
        new Random(3).nextBytes(content);
        MemoryBlockStore disk = new MemoryBlockStore(SIZE);
        disk.write(0, ByteBuffer.wrap(content), false);
        tracked = new TrackedDevice(disk);
        MemoryBlockStore plain = new MemoryBlockStore(SIZE);
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", tracked));
        exports.add(new Export("untracked", "", plain));
        plugins = Plugins.load();
        server = plugins.frontEnds().get("nbd").create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)), exports);
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    private NbdUri uri(String export) {
        return NbdUri.tcp("127.0.0.1", server.localAddress().getPort(), export);
    }

    /** A write of the VM at the source, through the export's device as a client's would go. */
    private void writeAtSource(long offset, int length, int fill) throws IOException {
        byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) fill);
        tracked.write(offset, ByteBuffer.wrap(bytes), false);
        System.arraycopy(bytes, 0, content, (int) offset, length);
    }

    @Test
    void theServerReportsWrittenBlocksRoundByRound() throws IOException {
        try (NbdSourceDevice source = NbdSourceDevice.open(uri("disk"))) {
            long session = source.startTracking(BLOCK);
            writeAtSource(BLOCK - 1, 2, 1);           // blocks 0 and 1
            writeAtSource(SIZE - 10, 10, 2);          // the short last block
            DirtyBlocks first = source.dirtySince(session, 0).orElseThrow();
            BitSet expected = new BitSet();
            expected.set(0, 2);
            expected.set(SIZE / BLOCK);
            assertEquals(expected, first.blocks());
            assertEquals(1, first.round());
            assertTrue(source.dirtySince(session, 1).orElseThrow().blocks().isEmpty());
            source.endTracking(session);
            assertTrue(source.dirtySince(session, 2).isEmpty(), "an ended session is unknown");
        }
    }

    @Test
    void anUntrackedExportRefusesTrackingButStillServes() throws IOException {
        try (NbdSourceDevice source = NbdSourceDevice.open(uri("untracked"))) {
            String message = assertThrows(TrackingUnavailableException.class, () -> source.startTracking(BLOCK)).getMessage();
            assertTrue(message.contains("does not report the writes"), message);
            source.read(0, ByteBuffer.allocate(512));
        }
    }

    @Test
    void aPrecopyingProxyEndsWithTheSourceAsAtSwitchOver() throws Exception {
        Path cache = dir.resolve("cache.img");
        URI source = URI.create("nbd://127.0.0.1:" + server.localAddress().getPort() + "/disk");
        ProxyConfig config = new ProxyConfig(source, cache, ProxyConfig.defaultMap(cache), BLOCK, false,
                Duration.ofSeconds(10), 0).withPrecopy(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (Proxy proxy = Proxy.start(config, plugins)) {
            assertEquals(RelocationState.PRECOPY, proxy.status().relocation().state());
            long blocks = proxy.status().relocation().blockCount();
            while (proxy.status().relocation().presentBlocks() < blocks) {
                if (System.nanoTime() > deadline) {
                    fail("pre-copy did not copy the disk: " + proxy.status().relocation());
                }
                Thread.sleep(20);
            }
            // The VM still runs at the source: these blocks are stale at the destination now.
            writeAtSource(3L * BLOCK + 7, 100, 0x42);
            writeAtSource(SIZE - 3, 3, 0x43);
            proxy.activate();
            assertEquals(RelocationState.ACTIVE, proxy.status().relocation().state());
            assertEquals(2, proxy.device().precopyForgotten(), "exactly the rewritten blocks are refetched");
            while (proxy.status().relocation().state() != RelocationState.COMPLETE) {
                if (System.nanoTime() > deadline) {
                    fail("relocation did not complete: " + proxy.status().relocation());
                }
                Thread.sleep(20);
            }
        }
        assertArrayEquals(content, Files.readAllBytes(cache));
        assertEquals(0, tracked.tracker().sessions(), "activation ends the session at the source");
    }

    @Test
    void precopyFromAnUntrackedSourceIsRefusedWithAReason() {
        Path cache = dir.resolve("cache.img");
        URI source = URI.create("nbd://127.0.0.1:" + server.localAddress().getPort() + "/untracked");
        ProxyConfig config = new ProxyConfig(source, cache, ProxyConfig.defaultMap(cache), BLOCK, false,
                Duration.ofSeconds(10), 0).withPrecopy(true);
        String message = assertThrows(IOException.class, () -> Proxy.start(config, plugins)).getMessage();
        assertTrue(message.contains("start without pre-copy"), message);
    }
}
