package io.reloc.nbd.interop;

import io.reloc.api.BlockSizes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static io.reloc.nbd.interop.Images.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real NBD clients (libnbd's nbdinfo and nbdcopy, qemu-img, qemu-io, fio) against an NBD server
 * serving file-backed exports in a temporary directory. Each test fails when a client reports an
 * error or when the data differs from what was written. Subclasses choose the server: Reloc, or
 * nbdkit as the reference that shows the checks themselves are right.
 *
 * <p>Random images derive from a seed printed at the start of each test; replay one with
 * {@code -Dinterop.seed=N}.
 */
@Tag("interop")
abstract class NbdClientInteropContract {
    @TempDir
    Path dir;

    private NbdTarget target;
    private long seed;

    /** A fresh, unstarted server keeping its own files under {@code workDir}. */
    protected abstract NbdTarget newTarget(Path workDir);

    @BeforeEach
    void chooseSeed(TestInfo test) {
        seed = Long.getLong("interop.seed", System.nanoTime());
        System.out.println(test.getDisplayName() + ": interop seed " + seed + " (replay with -Dinterop.seed=" + seed + ")");
    }

    @AfterEach
    void stopTarget() throws IOException {
        if (target != null) {
            target.close();
        }
    }

    private NbdTarget serve(TargetExport... exports) throws IOException {
        target = newTarget(dir.resolve("server"));
        target.start(List.of(exports));
        return target;
    }

    private CommandResult ok(String... command) throws IOException, InterruptedException {
        return Programs.runOk(dir.resolve("runs"), List.of(command));
    }

    private CommandResult run(String... command) throws IOException, InterruptedException {
        return Programs.run(dir.resolve("runs"), List.of(command));
    }

    // ---------------------------------------------------------------- nbdinfo

    @Test
    void nbdinfoShowsTheExportSize() throws Exception {
        Programs.require("nbdinfo");
        NbdTarget server = serve(TargetExport.writable("disk", Images.sparse(dir.resolve("disk.img"), 8 * MIB)));

        CommandResult info = ok("nbdinfo", server.uri("disk"));

        assertTrue(info.stdout().contains("export-size: " + 8 * MIB), () -> "size missing:\n" + info.describe());
    }

    @Test
    void nbdinfoListsEveryExportWithItsDescription() throws Exception {
        Programs.require("nbdinfo");
        NbdTarget server = serve(
                new TargetExport("alpha", "first test disk", Images.sparse(dir.resolve("alpha.img"), MIB), false),
                TargetExport.writable("beta", Images.sparse(dir.resolve("beta.img"), 2 * MIB)));

        CommandResult text = ok("nbdinfo", "--list", server.serverUri());
        assertTrue(text.stdout().contains("first test disk"), () -> "description missing:\n" + text.describe());

        CommandResult json = ok("nbdinfo", "--list", "--json", server.serverUri());
        List<Object> exports = Json.array(Json.object(Json.parse(json.stdout())).get("exports"));
        Map<String, Map<String, Object>> byName = new java.util.TreeMap<>();
        for (Object e : exports) {
            Map<String, Object> export = Json.object(e);
            byName.put((String) export.get("export-name"), export);
        }
        assertEquals(List.of("alpha", "beta"), List.copyOf(byName.keySet()), json::describe);
        assertEquals("first test disk", byName.get("alpha").get("description"), json::describe);
        Object betaDescription = byName.get("beta").get("description");
        assertTrue(betaDescription == null || "".equals(betaDescription), () -> "beta has no description:\n" + json.describe());
        assertEquals((long) MIB, byName.get("alpha").get("export-size"), json::describe);
        assertEquals((long) 2 * MIB, byName.get("beta").get("export-size"), json::describe);
    }

    /** Data at 2M+1M and 4M+2M, then 4M+1M discarded: the map must show exactly that. */
    private NbdTarget serveMappedLayout() throws Exception {
        Programs.require("qemu-io");
        NbdTarget server = serve(TargetExport.writable("disk", Images.sparse(dir.resolve("disk.img"), 8 * MIB)));
        ok("qemu-io", "-f", "raw", server.uri("disk"),
                "-c", "write -P 0x5a 2M 1M",
                "-c", "write -P 0x5a 4M 2M",
                "-c", "discard 4M 1M",
                "-c", "flush");
        return server;
    }

    private static final List<MapExtent> MAPPED_LAYOUT = List.of(
            new MapExtent(0, 2 * MIB, false),
            new MapExtent(2 * MIB, MIB, true),
            new MapExtent(3 * MIB, 2 * MIB, false),
            new MapExtent(5 * MIB, MIB, true),
            new MapExtent(6 * MIB, 2 * MIB, false));

    /** A run of bytes that is either data or a hole, as clients report extents. */
    record MapExtent(long offset, long length, boolean data) {
        /** Joins neighbours of the same kind: servers may split extents anywhere. */
        static List<MapExtent> coalesce(List<MapExtent> extents) {
            List<MapExtent> out = new ArrayList<>();
            for (MapExtent e : extents) {
                if (!out.isEmpty() && out.getLast().data == e.data && out.getLast().offset + out.getLast().length == e.offset) {
                    MapExtent last = out.removeLast();
                    out.add(new MapExtent(last.offset, last.length + e.length, e.data));
                } else {
                    out.add(e);
                }
            }
            return out;
        }
    }

    @Test
    void nbdinfoMapShowsTheHolesAndDataWritten() throws Exception {
        Programs.require("nbdinfo");
        NbdTarget server = serveMappedLayout();

        CommandResult map = ok("nbdinfo", "--map", "--json", server.uri("disk"));

        List<MapExtent> extents = new ArrayList<>();
        for (Object o : Json.array(Json.parse(map.stdout()))) {
            Map<String, Object> e = Json.object(o);
            long type = (Long) e.get("type");
            boolean hole = (type & 1) != 0;
            if (!hole && (type & 2) != 0) {
                fail("data extent reported as reading zeroes, but it holds 0x5a:\n" + map.describe());
            }
            extents.add(new MapExtent((Long) e.get("offset"), (Long) e.get("length"), !hole));
        }
        assertEquals(MAPPED_LAYOUT, MapExtent.coalesce(extents), map::describe);
    }

    @Test
    void nbdinfoJsonReportsSizeReadOnlyFlagAndBlockSizes() throws Exception {
        Programs.require("nbdinfo");
        NbdTarget server = serve(TargetExport.readOnly("ro", Images.sparse(dir.resolve("ro.img"), 3 * MIB)));

        CommandResult json = ok("nbdinfo", "--json", server.uri("ro"));

        Map<String, Object> export = Json.object(Json.array(Json.object(Json.parse(json.stdout())).get("exports")).getFirst());
        assertEquals((long) 3 * MIB, export.get("export-size"), json::describe);
        assertEquals(Boolean.TRUE, export.get("is_read_only"), json::describe);
        Optional<BlockSizes> expected = server.expectedBlockSizes();
        if (expected.isPresent()) {
            assertEquals(List.of((long) expected.get().minimum(), (long) expected.get().preferred(), (long) expected.get().maximum()),
                    Arrays.asList(export.get("block_size_minimum"), export.get("block_size_preferred"), export.get("block_size_maximum")),
                    () -> "block sizes (minimum, preferred, maximum) differ from the device's:\n" + json.describe());
        } else if (export.containsKey("block_size_minimum")) {
            // Whatever a server advertises must at least be a valid constraint.
            new BlockSizes(Math.toIntExact((Long) export.get("block_size_minimum")),
                    Math.toIntExact((Long) export.get("block_size_preferred")),
                    Math.toIntExact((Long) export.get("block_size_maximum")));
        }
    }

    @Test
    void nbdinfoJsonReportsAWritableExportAsWritable() throws Exception {
        Programs.require("nbdinfo");
        NbdTarget server = serve(TargetExport.writable("rw", Images.sparse(dir.resolve("rw.img"), MIB)));

        CommandResult json = ok("nbdinfo", "--json", server.uri("rw"));

        Map<String, Object> export = Json.object(Json.array(Json.object(Json.parse(json.stdout())).get("exports")).getFirst());
        assertEquals(Boolean.FALSE, export.get("is_read_only"), json::describe);
        assertEquals((long) MIB, export.get("export-size"), json::describe);
    }

    // ---------------------------------------------------------------- qemu-img

    @Test
    void qemuImgInfoReportsTheVirtualSize() throws Exception {
        Programs.require("qemu-img");
        NbdTarget server = serve(TargetExport.writable("disk", Images.sparse(dir.resolve("disk.img"), 5 * MIB)));

        CommandResult info = ok("qemu-img", "info", "--output=json", "-f", "raw", server.uri("disk"));

        Map<String, Object> json = Json.object(Json.parse(info.stdout()));
        assertEquals((long) 5 * MIB, json.get("virtual-size"), info::describe);
        assertEquals("raw", json.get("format"), info::describe);
    }

    @Test
    void qemuImgCompareFindsTheBackingContentsAndOnlyThem() throws Exception {
        Programs.require("qemu-img");
        byte[] data = Images.randomWithHoles(16 * MIB, seed);
        Path expected = Images.write(dir.resolve("expected.img"), data);
        NbdTarget server = serve(TargetExport.writable("disk", Images.write(dir.resolve("disk.img"), data)));

        ok("qemu-img", "compare", "-f", "raw", "-F", "raw", expected.toString(), server.uri("disk"));

        // The same comparison must notice one changed byte, or the check above proves nothing.
        data[7 * MIB + 12345] ^= 0x01;
        Path different = Images.write(dir.resolve("different.img"), data);
        CommandResult mismatch = run("qemu-img", "compare", "-f", "raw", "-F", "raw", different.toString(), server.uri("disk"));
        assertEquals(1, mismatch.exitCode(), mismatch::describe);
        java.util.regex.Matcher at = java.util.regex.Pattern.compile("Content mismatch at offset (\\d+)").matcher(mismatch.stdout());
        assertTrue(at.find(), mismatch::describe);
        // qemu-img names the start of the sector or cluster that differs.
        long reported = Long.parseLong(at.group(1));
        assertTrue(reported <= 7 * MIB + 12345 && reported > 7 * MIB + 12345 - 65536, mismatch::describe);
    }

    @Test
    void qemuImgConvertIntoTheExport() throws Exception {
        Programs.require("qemu-img");
        Path source = Images.write(dir.resolve("source.img"), Images.randomWithHoles(16 * MIB, seed));
        Path backing = Images.write(dir.resolve("disk.img"), Images.random(16 * MIB, seed + 1));
        NbdTarget server = serve(TargetExport.writable("disk", backing));

        ok("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", source.toString(), server.uri("disk"));

        Images.assertSameFiles(source, backing);
    }

    @Test
    void qemuImgConvertOutOfTheExport() throws Exception {
        Programs.require("qemu-img");
        Path backing = Images.write(dir.resolve("disk.img"), Images.randomWithHoles(16 * MIB, seed));
        NbdTarget server = serve(TargetExport.writable("disk", backing));
        Path copy = dir.resolve("copy.img");

        ok("qemu-img", "convert", "-f", "raw", "-O", "raw", server.uri("disk"), copy.toString());

        Images.assertSameFiles(backing, copy);
    }

    @Test
    void qemuImgMapShowsTheHolesAndDataWritten() throws Exception {
        Programs.require("qemu-img");
        NbdTarget server = serveMappedLayout();

        CommandResult map = ok("qemu-img", "map", "-f", "raw", "--output=json", server.uri("disk"));

        List<MapExtent> extents = new ArrayList<>();
        for (Object o : Json.array(Json.parse(map.stdout()))) {
            Map<String, Object> e = Json.object(o);
            boolean data = (Boolean) e.get("data");
            if (data && Boolean.TRUE.equals(e.get("zero"))) {
                fail("data extent reported as reading zeroes, but it holds 0x5a:\n" + map.describe());
            }
            extents.add(new MapExtent((Long) e.get("start"), (Long) e.get("length"), data));
        }
        assertEquals(MAPPED_LAYOUT, MapExtent.coalesce(extents), map::describe);
    }

    // ---------------------------------------------------------------- qemu-io

    @Test
    void qemuIoWritesZeroesDiscardsAndFlushes() throws Exception {
        Programs.require("qemu-io");
        byte[] model = Images.random(8 * MIB, seed);
        Path backing = Images.write(dir.resolve("disk.img"), model);
        NbdTarget server = serve(TargetExport.writable("disk", backing));

        ok("qemu-io", "-f", "raw", server.uri("disk"),
                "-c", "write -P 0xab 0 1M",
                "-c", "read -P 0xab 0 1M",
                "-c", "write -P 0xab 1M 3M",
                "-c", "write -z 1M 1M",
                "-c", "read -P 0 1M 1M",
                "-c", "discard 3M 1M",
                "-c", "read -P 0 3M 1M",
                "-c", "read -P 0xab 0 1M",
                "-c", "read -P 0xab 2M 1M",
                "-c", "flush");

        Arrays.fill(model, 0, 4 * MIB, (byte) 0xab);
        Arrays.fill(model, MIB, 2 * MIB, (byte) 0);
        Arrays.fill(model, 3 * MIB, 4 * MIB, (byte) 0);
        Images.assertContent(model, backing);
    }

    @Test
    void qemuIoUnalignedSubSectorWritesReachTheBackingFile() throws Exception {
        Programs.require("qemu-io");
        byte[] model = Images.random(2 * MIB, seed);
        Path backing = Images.write(dir.resolve("disk.img"), model);
        NbdTarget server = serve(TargetExport.writable("disk", backing));

        ok("qemu-io", "-f", "raw", server.uri("disk"),
                "-c", "write -P 0x11 513 1000",
                "-c", "write -P 0x22 4095 2",
                "-c", "write -P 0x33 65537 70001",
                "-c", "write -P 0x44 2097151 1",
                "-c", "read -P 0x11 513 1000",
                "-c", "read -P 0x22 4095 2",
                "-c", "read -P 0x33 65537 70001",
                "-c", "read -P 0x44 2097151 1",
                "-c", "flush");

        Arrays.fill(model, 513, 1513, (byte) 0x11);
        Arrays.fill(model, 4095, 4097, (byte) 0x22);
        Arrays.fill(model, 65537, 65537 + 70001, (byte) 0x33);
        model[2097151] = 0x44;
        Images.assertContent(model, backing);
    }

    @Test
    void readOnlyExportRefusesWritesButServesReads() throws Exception {
        Programs.require("qemu-io");
        byte[] model = Images.filled(MIB, 0x5c);
        Path backing = Images.write(dir.resolve("ro.img"), model);
        NbdTarget server = serve(TargetExport.readOnly("ro", backing));

        ok("qemu-io", "-r", "-f", "raw", server.uri("ro"), "-c", "read -P 0x5c 0 1M");
        CommandResult write = run("qemu-io", "-f", "raw", server.uri("ro"), "-c", "write -P 0xab 0 4k");

        assertNotEquals(0, write.exitCode(), () -> "a write to a read-only export succeeded:\n" + write.describe());
        String output = write.output().toLowerCase(Locale.ROOT);
        assertTrue(output.contains("permission denied") || output.contains("read-only") || output.contains("read only"),
                () -> "expected a permission or read-only error:\n" + write.describe());
        Images.assertContent(model, backing);
    }

    @Test
    void readOnlyExportRefusesWritesFromAClientThatIgnoresTheFlag() throws Exception {
        byte[] model = Images.filled(MIB, 0x5c);
        Path backing = Images.write(dir.resolve("ro.img"), model);
        NbdTarget server = serve(TargetExport.readOnly("ro", backing));

        try (RawNbdClient client = new RawNbdClient(server.port(), "ro")) {
            assertEquals(MIB, client.size());
            assertTrue((client.transmissionFlags() & RawNbdClient.FLAG_READ_ONLY) != 0,
                    "READ_ONLY transmission flag missing: 0x" + Integer.toHexString(client.transmissionFlags()));
            RawNbdClient.Reply write = client.request(RawNbdClient.CMD_WRITE, 0, 4096, Images.filled(4096, 0xab));
            assertEquals(1, write.error(), "a write to a read-only export must fail with EPERM (1)");
            RawNbdClient.Reply read = client.request(RawNbdClient.CMD_READ, 0, 4096, null);
            assertEquals(0, read.error(), "reads of a read-only export must still work");
            assertTrue(Arrays.equals(Images.filled(4096, 0x5c), read.data()), "read returned other bytes than the file's");
        }
        Images.assertContent(model, backing);
    }

    // ---------------------------------------------------------------- nbdcopy

    @Test
    void nbdcopyIntoTheExportWithFlushAndBackOutWithFourConnections() throws Exception {
        Programs.require("nbdcopy");
        byte[] data = Images.randomWithHoles(32 * MIB, seed);
        Path source = Images.write(dir.resolve("source.img"), data);
        Path backing = Images.write(dir.resolve("disk.img"), Images.random(32 * MIB, seed + 1));
        NbdTarget server = serve(TargetExport.writable("disk", backing));

        ok("nbdcopy", "--connections=4", "--flush", source.toString(), server.uri("disk"));
        Images.assertSameFiles(source, backing);

        Path copy = dir.resolve("copy.img");
        ok("nbdcopy", "--connections=4", server.uri("disk"), copy.toString());
        Images.assertSameFiles(source, copy);
    }

    // ---------------------------------------------------------------- fio

    @Test
    void fioRandomReadWriteVerifiesEveryBlock() throws Exception {
        Programs.require("fio");
        NbdTarget server = serve(TargetExport.writable("disk", Images.sparse(dir.resolve("disk.img"), 32 * MIB)));
        Path report = dir.resolve("fio.json");

        CommandResult fio = ok("fio", "--name=verify", "--ioengine=nbd", "--uri=" + server.uri("disk"),
                "--rw=randrw", "--bs=4k", "--size=16M", "--iodepth=16", "--verify=crc32c", "--verify_fatal=1",
                "--randseed=" + seed, "--output-format=json", "--output=" + report);

        assertFalse(fio.output().contains("verify:"), () -> "fio found corrupt blocks:\n" + fio.describe());
        Map<String, Object> job = Json.object(Json.array(Json.object(Json.parse(Files.readString(report))).get("jobs")).getFirst());
        assertEquals(0L, job.get("error"), () -> "fio job error:\n" + fio.describe());
        long written = (Long) Json.object(job.get("write")).get("io_bytes");
        long read = (Long) Json.object(job.get("read")).get("io_bytes");
        assertTrue(written > 0 && read > 0, () -> "fio moved no data (read " + read + ", written " + written + ")");
    }

    // ---------------------------------------------------------------- multi-conn

    @Test
    void writesOfTwoConnectionsAreDurableAfterAFlushOnOne() throws Exception {
        Programs.require("qemu-io", "nbdinfo");
        Path backing = Images.sparse(dir.resolve("disk.img"), 16 * MIB);
        NbdTarget server = serve(TargetExport.writable("disk", backing));
        CommandResult info = ok("nbdinfo", "--json", server.uri("disk"));
        Map<String, Object> export = Json.object(Json.array(Json.object(Json.parse(info.stdout())).get("exports")).getFirst());
        assertEquals(Boolean.TRUE, export.get("can_multi_conn"),
                () -> "a file-backed export should advertise CAN_MULTI_CONN:\n" + info.describe());

        // writeback: no FUA on the writes, so only the FLUSH makes them durable.
        List<String> qemuIo = List.of("qemu-io", "-f", "raw", "-t", "writeback", server.uri("disk"));
        try (InteractiveQemuIo a = new InteractiveQemuIo(qemuIo); InteractiveQemuIo b = new InteractiveQemuIo(qemuIo)) {
            CompletableFuture<String> writesA = CompletableFuture.supplyAsync(() -> writeEveryOther(a, 0, 0xaa));
            CompletableFuture<String> writesB = CompletableFuture.supplyAsync(() -> writeEveryOther(b, 1, 0xbb));
            String outA = writesA.join();
            String outB = writesB.join();
            assertFalse(outA.contains("error") || outA.contains("failed"), outA);
            assertFalse(outB.contains("error") || outB.contains("failed"), outB);

            // Both connections stay open: the FLUSH of A alone must cover B's completed writes.
            String flush = a.execute("flush");
            assertEquals("", flush.trim(), "flush failed: " + flush);
            byte[] expected = new byte[16 * MIB];
            for (int mib = 0; mib < 16; mib++) {
                Arrays.fill(expected, mib * MIB, (mib + 1) * MIB, (byte) (mib % 2 == 0 ? 0xaa : 0xbb));
            }
            Images.assertContent(expected, backing);

            // And each connection sees the other's data.
            String crossA = a.execute("read -P 0xbb 1M 1M");
            String crossB = b.execute("read -P 0xaa 0 1M");
            assertFalse(crossA.contains("failed") || crossB.contains("failed"), crossA + crossB);
            assertEquals(0, a.quit());
            assertEquals(0, b.quit());
        }
    }

    private static String writeEveryOther(InteractiveQemuIo session, int first, int pattern) {
        StringBuilder out = new StringBuilder();
        try {
            for (int mib = first; mib < 16; mib += 2) {
                out.append(session.execute("write -P 0x" + Integer.toHexString(pattern) + " " + mib + "M 1M"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toString();
    }
}
