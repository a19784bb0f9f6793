package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDevice;
import io.reloc.api.Extent;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocationState;
import io.reloc.core.relocation.RelocationStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The source connector against tgt (the Linux SCSI target daemon), which the test starts on a
 * free portal and control port. Skipped where tgtd is missing or cannot start (it needs root).
 */
@Tag("interop")
class TgtInteropTest {
    private static final String IQN = "iqn.2026-11.io.reloc.test:tgt";
    private static final int SIZE = 48 << 20;

    @TempDir
    Path dir;
    private Path file;
    private Process tgtd;
    private int port;
    private int control;
    private byte[] content;

    @BeforeEach
    void startTgt() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/tgtd")) && Files.isExecutable(Path.of("/usr/sbin/tgtadm")),
                "tgtd is not installed (Debian package tgt)");
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        file = dir.resolve("lun.img");
        content = new byte[SIZE];
        Random r = new Random(seed);
        // Data with holes, so extents and zero runs are exercised too.
        for (int at = 0; at < SIZE; at += 1 << 20) {
            if (r.nextInt(3) > 0) {
                byte[] chunk = new byte[1 << 20];
                r.nextBytes(chunk);
                System.arraycopy(chunk, 0, content, at, chunk.length);
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(SIZE);
            for (int at = 0; at < SIZE; at += 1 << 20) {
                byte[] chunk = Arrays.copyOfRange(content, at, at + (1 << 20));
                if (!Arrays.equals(chunk, new byte[1 << 20])) {
                    f.seek(at);
                    f.write(chunk);
                }
            }
        }
        port = freePort();
        // tgtd takes control ports up to 32767; tie ours to the portal so parallel runs differ.
        control = 1000 + port % 30_000;
        tgtd = new ProcessBuilder("/usr/sbin/tgtd", "-f", "--control-port", Integer.toString(control), "--iscsi",
                "portal=127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(dir.resolve("tgtd.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (tgtadm("--mode", "target", "--op", "show").exit() != 0) {
            if (!tgtd.isAlive() || System.nanoTime() > deadline) {
                String log = Files.readString(dir.resolve("tgtd.log"));
                stopTgt();
                assumeTrue(false, "tgtd cannot start here: " + log);
            }
            Thread.sleep(50);
        }
        check(tgtadm("--mode", "target", "--op", "new", "--tid", "1", "--targetname", IQN));
        check(tgtadm("--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", "1", "--backing-store",
                file.toString()));
        check(tgtadm("--mode", "target", "--op", "bind", "--tid", "1", "--initiator-address", "ALL"));
    }

    @AfterEach
    void stopTgt() throws Exception {
        if (tgtd == null) {
            return;
        }
        if (tgtd.isAlive()) {
            tgtadm("--mode", "target", "--op", "delete", "--force", "--tid", "1");
            // tgtd exits on this; it ignores SIGTERM while it has targets.
            tgtadm("--mode", "system", "--op", "delete");
            if (!tgtd.waitFor(5, TimeUnit.SECONDS)) {
                tgtd.destroy();
                if (!tgtd.waitFor(2, TimeUnit.SECONDS)) {
                    tgtd.destroyForcibly().waitFor();
                }
            }
        }
        tgtd = null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    record Result(int exit, String output) {}

    private Result tgtadm(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/sbin/tgtadm", "-C", Integer.toString(control), "--lld",
                "iscsi"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 30 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static void check(Result r) {
        assertEquals(0, r.exit(), r.output());
    }

    private URI uri() {
        return URI.create("iscsi://127.0.0.1:" + port + "/" + IQN + "/1");
    }

    @Test
    void readsTheWholeLunAndOddRanges() throws Exception {
        try (BlockDevice d = Plugins.load().sourceConnectors().get("iscsi").open(uri())) {
            assertEquals(SIZE, d.size());
            ByteBuffer all = ByteBuffer.allocate(SIZE);
            long start = System.nanoTime();
            d.read(0, all);
            System.out.printf("read %d MiB from tgt in %d ms%n", SIZE >> 20, (System.nanoTime() - start) / 1_000_000);
            assertArrayEquals(content, all.array());
            ByteBuffer odd = ByteBuffer.allocate(123_457);
            d.read(1_000_003, odd);
            assertArrayEquals(Arrays.copyOfRange(content, 1_000_003, 1_000_003 + 123_457), odd.array());
            long covered = 0;
            while (covered < SIZE) {
                List<Extent> extents = d.extents(covered, SIZE - covered);
                assertTrue(!extents.isEmpty());
                covered += extents.stream().mapToLong(Extent::length).sum();
            }
            assertEquals(SIZE, covered);
        }
    }

    @Test
    void extentsFromAThinProvisionedLunMatchTheFile() throws Exception {
        check(tgtadm("--mode", "logicalunit", "--op", "update", "--tid", "1", "--lun", "1", "--params",
                "thin_provisioning=1"));
        try (BlockDevice d = Plugins.load().sourceConnectors().get("iscsi").open(uri())) {
            List<Extent> extents = new ArrayList<>();
            for (long at = 0; at < SIZE; ) {
                List<Extent> part = d.extents(at, SIZE - at);
                extents.addAll(part);
                at += part.stream().mapToLong(Extent::length).sum();
            }
            long at = 0;
            boolean sawHole = false;
            for (Extent e : extents) {
                if (e.hole()) {
                    sawHole = true;
                    // A hole must read as zeroes in the file, whatever tgt says about LBPRZ.
                    byte[] zeroes = new byte[(int) e.length()];
                    assertArrayEquals(zeroes, Arrays.copyOfRange(content, (int) at, (int) (at + e.length())),
                            "hole of " + e.length() + " at " + at);
                }
                at += e.length();
            }
            assertEquals(SIZE, at);
            assertTrue(sawHole, "tgt reported no hole in a sparse file: " + extents);
        }
    }

    @Test
    void chapRightAndWrongAgainstTgt() throws Exception {
        check(tgtadm("--mode", "account", "--op", "new", "--user", "joe", "--password", "tgt-secret-12"));
        check(tgtadm("--mode", "account", "--op", "bind", "--tid", "1", "--user", "joe"));
        String authority = "127.0.0.1:" + port + "/" + IQN + "/1";
        try (BlockDevice d = Plugins.load().sourceConnectors().get("iscsi").open(
                URI.create("iscsi://joe%25tgt-secret-12@" + authority))) {
            ByteBuffer first = ByteBuffer.allocate(1 << 20);
            d.read(0, first);
            assertArrayEquals(Arrays.copyOf(content, 1 << 20), first.array());
        }
        IOException wrong = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> Plugins.load().sourceConnectors().get("iscsi").open(URI.create("iscsi://joe%25nope-nope-12@"
                        + authority)));
        assertTrue(wrong.getMessage().contains("authentication failure"), wrong.getMessage());
    }

    @Test
    void relocatesFromTgt() throws Exception {
        Path cache = dir.resolve("cache.img");
        ProxyConfig config = new ProxyConfig(uri(), cache, ProxyConfig.defaultMap(cache), 64 * 1024, true,
                Duration.ofSeconds(10), 0);
        long start = System.nanoTime();
        try (Proxy proxy = Proxy.start(config, Plugins.load())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            RelocationStatus s;
            while ((s = proxy.status().relocation()).state() != RelocationState.COMPLETE) {
                if (System.nanoTime() > deadline) {
                    fail("relocation from tgt did not complete within 120 s: " + s);
                }
                Thread.sleep(20);
            }
        }
        System.out.printf("relocated %d MiB from tgt in %d ms%n", SIZE >> 20, (System.nanoTime() - start) / 1_000_000);
        assertArrayEquals(content, Files.readAllBytes(cache));
    }
}
