package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.Extent;
import io.reloc.api.StoreSpec;
import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.reloc.nbd.client.NbdClientTest.map;
import static io.reloc.nbd.client.NbdClientTest.read;
import static io.reloc.nbd.client.NbdClientTest.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The NBD source connector against nbdkit and qemu-nbd. */
@Tag("interop")
class InteropTest {
    private static final Plugins PLUGINS = Plugins.load();

    @TempDir
    Path dir;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private BlockDevice open(int port, String export) throws IOException {
        return closeLater(PLUGINS.sourceConnectors().get("nbd").open(URI.create("nbd://127.0.0.1:" + port + "/" + export)));
    }

    /** A file of random bytes. */
    static byte[] randomFile(Path file, long seed, int size) throws IOException {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        Files.write(file, content);
        return content;
    }

    /** A sparse file with data at some ranges; returns its content. */
    private static byte[] sparseFile(Path file, long seed, int size) throws IOException {
        byte[] content = new byte[size];
        Random random = new Random(seed);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size);
            for (long at : new long[] {0, 3 << 20, 5L << 20, size - (256 << 10)}) {
                byte[] data = new byte[256 << 10];
                random.nextBytes(data);
                f.seek(at);
                f.write(data);
                System.arraycopy(data, 0, content, (int) at, data.length);
            }
        }
        return content;
    }

    private void checkReads(BlockDevice d, byte[] content, long seed) throws Exception {
        System.out.println("reads seed " + seed);
        assertEquals(content.length, d.size());
        assertArrayEquals(content, read(d, 0, content.length));
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Random random = new Random(seed + t);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        int length = 1 + random.nextInt(random.nextBoolean() ? 1000 : 300_000);
                        long offset = random.nextLong(content.length - length + 1);
                        assertArrayEquals(slice(content, offset, length), read(d, offset, length), "seed " + seed);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        }
    }

    private BlockDevice localView(Path file) throws IOException {
        return closeLater(PLUGINS.stores().get("file").open(new StoreSpec(Optional.of(file), OptionalLong.empty(), true)));
    }

    @Test
    void nbdkitFile() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] content = randomFile(file, 11, 8 << 20);
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "file", file.toString()));
        NbdSourceDevice d = (NbdSourceDevice) open(port, "");
        assertTrue(d.negotiated().structuredReplies());
        assertTrue(d.negotiated().blockStatus());
        checkReads(d, content, System.nanoTime());
    }

    @Test
    void nbdkitThatRefusesUnalignedAndLargeRequests() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] content = randomFile(file, 19, 4 << 20);
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "--filter=blocksize-policy", "file", file.toString(),
                "blocksize-minimum=4096", "blocksize-preferred=4096", "blocksize-maximum=65536",
                "blocksize-error-policy=error"));
        NbdSourceDevice d = (NbdSourceDevice) open(port, "");
        assertEquals(new io.reloc.api.BlockSizes(4096, 4096, 65536), d.blockSizes());
        checkReads(d, content, System.nanoTime());
        assertEquals(List.of(Extent.data(100)), d.extents(0, 100));
    }

    @Test
    void nbdkitMemory() throws Exception {
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "memory", "64M"));
        BlockDevice d = open(port, "anything");
        assertEquals(64 << 20, d.size());
        assertArrayEquals(new byte[1 << 20], read(d, 5, 1 << 20));
        List<Extent> all = map(d, 0, d.size());
        assertEquals(List.of(Extent.hole(64 << 20)), all);
    }

    @Test
    void nbdkitSparseFileExtents() throws Exception {
        Path file = dir.resolve("sparse.img");
        byte[] content = sparseFile(file, 12, 8 << 20);
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "file", file.toString()));
        BlockDevice d = open(port, "");
        List<Extent> remote = map(d, 0, content.length);
        assertEquals(map(localView(file), 0, content.length), remote);
        assertTrue(remote.size() >= 7, remote.toString());
        assertArrayEquals(content, read(d, 0, content.length));
    }

    @Test
    void qemuNbdFile() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] content = randomFile(file, 13, 8 << 20);
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.qemuNbd(port, dir.resolve("qemu-nbd.log"), "disk", file));
        NbdSourceDevice d = (NbdSourceDevice) open(port, "disk");
        assertTrue(d.negotiated().structuredReplies());
        checkReads(d, content, System.nanoTime());
    }

    @Test
    void qemuNbdSparseFileExtents() throws Exception {
        Path file = dir.resolve("sparse.img");
        byte[] content = sparseFile(file, 14, 8 << 20);
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.qemuNbd(port, dir.resolve("qemu-nbd.log"), "disk", file));
        BlockDevice d = open(port, "disk");
        assertEquals(map(localView(file), 0, content.length), map(d, 0, content.length));
        assertArrayEquals(content, read(d, 0, content.length));
    }

    @Test
    void qemuNbdUnknownExportListsItsExport() throws Exception {
        Path file = dir.resolve("disk.img");
        randomFile(file, 15, 1 << 20);
        int port = ExternalServer.freePort();
        closeLater(ExternalServer.qemuNbd(port, dir.resolve("qemu-nbd.log"), "disk", file));
        IOException e = assertThrows(IOException.class, () -> open(port, "x"));
        assertTrue(e.getMessage().contains("server 127.0.0.1:" + port + " has no export 'x'; it offers: disk"), e.getMessage());
    }

    @Test
    void nbdkitGoingAwayFailsReadsAndARestartServesAgain() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] content = randomFile(file, 16, 1 << 20);
        int port = ExternalServer.freePort();
        ExternalServer nbdkit = closeLater(ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "file", file.toString()));
        BlockDevice d = open(port, "");
        assertArrayEquals(slice(content, 100, 1000), read(d, 100, 1000));
        nbdkit.kill();
        var e = assertThrows(io.reloc.api.BlockDeviceException.class, () -> read(d, 100, 1000));
        assertEquals(io.reloc.api.BlockError.IO, e.error());
        nbdkit.start();
        assertArrayEquals(slice(content, 100, 1000), read(open(port, ""), 100, 1000));
    }

    @Test
    void qemuNbdSharedExportGetsSeveralConnections() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] content = randomFile(file, 17, 4 << 20);
        int port = ExternalServer.freePort();
        // -e 8 lets qemu-nbd serve 8 clients, and then it offers CAN_MULTI_CONN.
        closeLater(ExternalServer.qemuNbd(port, dir.resolve("qemu-nbd.log"), "disk", file));
        NbdSourceDevice d = (NbdSourceDevice) open(port, "disk");
        d.awaitConnections();
        assertEquals(NbdUri.DEFAULT_CONNECTIONS, d.connectionCount());
        checkReads(d, content, System.nanoTime());
    }

    @Test
    void nbdkitOnAUnixSocket() throws Exception {
        Path file = dir.resolve("disk.img");
        byte[] content = randomFile(file, 18, 2 << 20);
        Path socket = dir.resolve("nbd.sock");
        List<String> command = List.of("nbdkit", "-f", "-U", socket.toString(), "file", file.toString());
        Process nbdkit = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nbdkit.log").toFile()).start();
        closeLater(() -> {
            nbdkit.destroyForcibly();
            nbdkit.waitFor(20, TimeUnit.SECONDS);
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(socket)) {
            assertTrue(nbdkit.isAlive() && System.nanoTime() < deadline, "nbdkit did not create " + socket);
            Thread.sleep(20);
        }
        BlockDevice d = closeLater(PLUGINS.sourceConnectors().get("nbd+unix")
                .open(URI.create("nbd+unix:///?socket=" + socket)));
        assertArrayEquals(content, read(d, 0, content.length));
        IOException e = assertThrows(IOException.class, () -> PLUGINS.sourceConnectors().get("nbd+unix")
                .open(URI.create("nbd+unix:///?socket=" + dir.resolve("missing.sock"))));
        assertTrue(e.getMessage().contains("unix:" + dir.resolve("missing.sock")), e.getMessage());
    }

    static byte[] bytes(ByteBuffer b) {
        return Arrays.copyOfRange(b.array(), 0, b.limit());
    }
}
