package io.reloc.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Relocation from a foreign NBD server: the real launcher's {@code reloc proxy} with nbdkit as
 * its source, checked with qemu-img and qemu-io. Every nbdkit and proxy a test starts is stopped
 * after it, whatever happened.
 */
@Tag("interop")
class ProxyWithNbdkitIT {
    private static final String URI = "serving (nbd://\\S+)";
    private static final int BLOCK = 64 << 10;
    private static final int SIZE = 16 << 20;

    @TempDir
    Path dir;

    private final List<Process> nbdkits = new ArrayList<>();
    private final List<RelocProcess> proxies = new ArrayList<>();
    private long seed;

    @BeforeEach
    void seed(TestInfo test) {
        seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println(test.getDisplayName() + ": image seed " + seed + " (replay with -Dreloc.seed=" + seed + ")");
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (RelocProcess proxy : proxies) {
            proxy.close();
        }
        for (Process nbdkit : nbdkits) {
            stop(nbdkit);
        }
    }

    @Test
    void theExportComparesEqualInStandbyDuringBackgroundCopyAndAfterCompletion() throws Exception {
        Path source = randomImage("source.img");
        byte[] original = Files.readAllBytes(source);
        int port = freePort();
        startNbdkit(source, port);
        String control = control();
        String uri = startProxy(nbdUri(port), "cache.img", control, "--rate", "512K");

        compare(source, uri);
        String standby = ctl(control, "status");
        assertTrue(standby.contains("\"state\":\"standby\""), standby);
        assertEquals(0, presentBlocks(standby), "standby must keep nothing it forwards: " + standby);

        ctl(control, "activate");
        String during = awaitStatus(control, s -> presentBlocks(s) > 0);
        double fraction = fractionPresent(during);
        assertTrue(fraction > 0 && fraction < 1, "the copy must be under way while comparing: " + during);
        compare(source, uri);

        ctl(control, "rate", "0");
        String done = ctl(control, "wait", "120");
        assertTrue(done.contains("\"state\":\"complete\""), done);
        compare(source, uri);
        assertArrayEquals(original, Files.readAllBytes(dir.resolve("cache.img")), "the cache must be the whole disk");
        assertArrayEquals(original, Files.readAllBytes(source), "the source must never be written");
    }

    @Test
    void writesAtTheProxyNeverReachTheSourceAndReadBack() throws Exception {
        Path source = randomImage("source.img");
        byte[] original = Files.readAllBytes(source);
        int port = freePort();
        startNbdkit(source, port);
        String control = control();
        // Slow background copy, so most partial writes below need a read-modify-write fetch.
        String uri = startProxy(nbdUri(port), "cache.img", control, "--rate", "256K");

        byte[] expected = original.clone();
        List<String> writes = List.of(
                "write -P 0x5a " + BLOCK + " " + 2 * BLOCK,   // whole blocks: no fetch
                "write -P 0x6b 1000 70000",                   // unaligned, crosses blocks 0 and 1
                "write -P 0x7c 300000 200000",                // unaligned, blocks 4 to 7
                "discard 310000 150000",                      // unaligned, within those (now local) blocks
                "write -z 2000000 100000",                    // unaligned zeroes
                "write -z " + 64 * BLOCK + " " + 2 * BLOCK,   // aligned zeroes
                "discard " + 96 * BLOCK + " " + 4 * BLOCK,    // whole blocks
                "write -P 0x3d " + (SIZE - 5000) + " 5000",   // the tail of the last block
                "flush");
        qemuIo(uri, writes);
        fill(expected, BLOCK, 2 * BLOCK, 0x5a);
        fill(expected, 1000, 70000, 0x6b);
        fill(expected, 300000, 200000, 0x7c);
        fill(expected, 310000, 150000, 0);
        fill(expected, 2000000, 100000, 0);
        fill(expected, 64 * BLOCK, 2 * BLOCK, 0);
        fill(expected, 96 * BLOCK, 4 * BLOCK, 0);
        fill(expected, SIZE - 5000, 5000, 0x3d);
        String relocating = ctl(control, "status");
        assertTrue(relocating.contains("\"state\":\"relocating\"") && relocating.contains("\"activatedBy\":\"first_write\""), relocating);
        assertArrayEquals(original, Files.readAllBytes(source), "a write at the proxy reached the source");

        List<String> reads = List.of(
                "read -P 0x6b 1000 70000",
                "read -P 0x5a 71000 " + (3 * BLOCK - 71000),
                "read -P 0x7c 300000 10000",
                "read -P 0 310000 150000",
                "read -P 0x7c 460000 40000",
                "read -P 0 2000000 100000",
                "read -P 0 " + 64 * BLOCK + " " + 2 * BLOCK,
                "read -P 0 " + 96 * BLOCK + " " + 4 * BLOCK,
                "read -P 0x3d " + (SIZE - 5000) + " 5000");
        qemuIo(uri, reads);
        Path expectedImage = image("expected.img", expected);
        compare(expectedImage, uri);

        ctl(control, "rate", "0");
        String done = ctl(control, "wait", "120");
        assertTrue(done.contains("\"state\":\"complete\""), done);
        qemuIo(uri, reads);
        compare(expectedImage, uri);
        assertArrayEquals(original, Files.readAllBytes(source), "a write at the proxy reached the source");
        assertArrayEquals(expected, Files.readAllBytes(dir.resolve("cache.img")));
    }

    @Test
    void aStoppedSourceLeavesPresentBlocksServedAndAbsentReadsFailAfterTheHold() throws Exception {
        byte[] content = random();
        Arrays.fill(content, 0, 1 << 20, (byte) 0x5a);
        Path source = image("source.img", content);
        int port = freePort();
        Process nbdkit = startNbdkit(source, port);
        String control = control();
        String uri = startProxy(nbdUri(port), "cache.img", control, "--activate", "--rate", "128K", "--hold", "3");
        // Demand-fetch the first MiB, so it is present whatever the background copy did.
        qemuIo(uri, List.of("read -P 0x5a 0 1M"));
        String before = ctl(control, "status");
        assertTrue(presentBlocks(before) >= 16 && fractionPresent(before) < 0.5, before);

        stop(nbdkit);
        qemuIo(uri, List.of("read -P 0x5a 0 1M", "read -P 0x5a 4096 60000"));
        long started = System.nanoTime();
        Result absent = run("qemu-io", "-f", "raw", uri, "-c", "read " + (SIZE - BLOCK) + " 4096");
        long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(absent.output().contains("Input/output error"), "an absent block must fail with EIO: " + absent.output());
        assertTrue(waitedMillis >= 2_500, "the read must be held about 3 s before it fails, it failed after " + waitedMillis + " ms");
        String down = ctl(control, "status");
        assertTrue(down.contains("\"sourceConnected\":false") && down.contains("\"state\":\"relocating\""), down);
        qemuIo(uri, List.of("read -P 0x5a 0 1M"));

        startNbdkit(source, port);
        ctl(control, "rate", "0");
        String done = ctl(control, "wait", "120");
        assertTrue(done.contains("\"state\":\"complete\""), done);
        compare(source, uri);
        assertArrayEquals(content, Files.readAllBytes(dir.resolve("cache.img")));
    }

    @Test
    void aStandbyProxyKeepsNothingTheSourceWritesBeforeActivation() throws Exception {
        Path source = randomImage("source.img");
        int port = freePort();
        startNbdkit(source, port);
        String control = control();
        String uri = startProxy(nbdUri(port), "cache.img", control);

        // The VM still runs at the source: its writes go to nbdkit while the proxy forwards reads.
        qemuIo(nbdUri(port), List.of("write -P 0x11 0 100000", "write -P 0x22 3M 64k", "flush"));
        qemuIo(uri, List.of("read -P 0x11 0 100000", "read -P 0x22 3M 64k"));
        qemuIo(nbdUri(port), List.of("write -P 0x33 50000 100000", "write -z 3M 4k", "write -P 0x44 10M 1M", "flush"));
        qemuIo(uri, List.of("read -P 0x33 50000 100000", "read -P 0 3M 4k", "read -P 0x44 10M 1M"));
        String standby = ctl(control, "status");
        assertTrue(standby.contains("\"state\":\"standby\"") && presentBlocks(standby) == 0, standby);

        // Switch-over: the source is quiescent from here on.
        byte[] expected = Files.readAllBytes(source);
        String active = ctl(control, "activate");
        assertTrue(active.contains("\"activatedBy\":\"control\""), active);
        qemuIo(uri, List.of("write -P 0x55 70000 10000", "write -P 0x66 12M 300k", "write -z 5M 64k", "flush"));
        fill(expected, 70000, 10000, 0x55);
        fill(expected, 12 << 20, 300 << 10, 0x66);
        fill(expected, 5 << 20, 64 << 10, 0);
        byte[] sourceAtActivation = Files.readAllBytes(source);

        String done = ctl(control, "wait", "120");
        assertTrue(done.contains("\"state\":\"complete\""), done);
        compare(image("expected.img", expected), uri);
        assertNotEquals(Arrays.hashCode(expected), Arrays.hashCode(sourceAtActivation), "the proxy's own writes must differ from the source");
        assertArrayEquals(sourceAtActivation, Files.readAllBytes(source), "the proxy must never write its source");
    }

    @Test
    void aCompletedProxyIsTheSourceOfTheNextRelocation() throws Exception {
        Path source = randomImage("source.img");
        int port = freePort();
        startNbdkit(source, port);
        String firstControl = control();
        String first = startProxy(nbdUri(port), "first.img", firstControl, "--activate");
        qemuIo(first, List.of("write -P 0x77 123456 654321", "flush"));
        byte[] expected = Files.readAllBytes(source);
        fill(expected, 123456, 654321, 0x77);
        assertTrue(ctl(firstControl, "wait", "120").contains("\"state\":\"complete\""));

        String secondControl = control();
        String second = startProxy(first, "second.img", secondControl, "--activate", "--block-size", "128K");
        qemuIo(second, List.of("read -P 0x77 123456 654321"));
        String done = ctl(secondControl, "wait", "120");
        assertTrue(done.contains("\"state\":\"complete\""), done);
        Path expectedImage = image("expected.img", expected);
        compare(expectedImage, second);
        assertArrayEquals(expected, Files.readAllBytes(dir.resolve("second.img")));
    }

    // ---- peers ------------------------------------------------------------------------------

    private Process startNbdkit(Path file, int port) throws IOException, InterruptedException {
        Process nbdkit = new ProcessBuilder("nbdkit", "-f", "-i", "127.0.0.1", "-p", Integer.toString(port), "file", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nbdkit-" + port + ".log").toFile()).start();
        nbdkits.add(nbdkit);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!nbdkit.isAlive()) {
                fail("nbdkit exited with " + nbdkit.exitValue() + ": " + Files.readString(dir.resolve("nbdkit-" + port + ".log")));
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return nbdkit;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        return fail("nbdkit did not listen on port " + port);
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a proxy of {@code source} listening on a port of the OS's choosing; returns its NBD URI. */
    private String startProxy(String source, String cache, String control, String... options) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("proxy", "--listen", "127.0.0.1:0", "--export", "vm1", "--source", source,
                "--cache", dir.resolve(cache).toString(), "--control", control));
        args.addAll(List.of(options));
        RelocProcess proxy = RelocProcess.start(args.toArray(String[]::new));
        proxies.add(proxy);
        return proxy.awaitOut(URI);
    }

    private static String nbdUri(int port) {
        return "nbd://127.0.0.1:" + port + "/";
    }

    private static String control() throws IOException {
        return "127.0.0.1:" + freePort();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    // ---- images -----------------------------------------------------------------------------

    private byte[] random() {
        byte[] content = new byte[SIZE];
        new Random(seed).nextBytes(content);
        return content;
    }

    private Path randomImage(String name) throws IOException {
        return image(name, random());
    }

    private Path image(String name, byte[] content) throws IOException {
        Path path = dir.resolve(name);
        Files.write(path, content);
        return path;
    }

    private static void fill(byte[] image, long offset, long length, int value) {
        Arrays.fill(image, (int) offset, (int) (offset + length), (byte) value);
    }

    // ---- tools ------------------------------------------------------------------------------

    private static void compare(Path expected, String uri) throws IOException, InterruptedException {
        String out = exec("qemu-img", "compare", "-U", "-f", "raw", "-F", "raw", expected.toString(), uri);
        assertTrue(out.contains("Images are identical"), out);
    }

    /** Runs qemu-io commands; every one must succeed (qemu-io itself exits 0 when a command fails). */
    private static void qemuIo(String uri, List<String> commands) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("qemu-io", "-f", "raw", uri));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        String out = exec(command.toArray(String[]::new));
        assertTrue(!out.contains("failed") && !out.contains("Pattern verification"), String.join("; ", commands) + ": " + out);
    }

    private static String ctl(String control, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(RelocProcess.LAUNCHER.toString(), "ctl", "--control", control));
        command.addAll(List.of(args));
        return exec(command.toArray(String[]::new));
    }

    /** Polls the status until {@code condition} holds (at most a minute); returns that status. */
    private static String awaitStatus(String control, java.util.function.Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        String status = ctl(control, "status");
        while (!condition.test(status)) {
            if (System.nanoTime() > deadline) {
                fail("the proxy never reached the awaited state: " + status);
            }
            Thread.sleep(100);
            status = ctl(control, "status");
        }
        return status;
    }

    private static long presentBlocks(String status) {
        return Long.parseLong(field(status, "blocksPresent"));
    }

    private static double fractionPresent(String status) {
        return Double.parseDouble(field(status, "fractionPresent"));
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":([-0-9.]+)").matcher(json);
        assertTrue(m.find(), "no " + name + " in " + json);
        return m.group(1);
    }

    private record Result(int exit, String output) {}

    private static Result run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Runs a program; fails the test on a non-zero exit. Returns its stdout and stderr. */
    private static String exec(String... command) throws IOException, InterruptedException {
        Result result = run(command);
        assertEquals(0, result.exit(), String.join(" ", command) + " failed: " + result.output());
        return result.output();
    }
}
