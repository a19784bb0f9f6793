package io.reloc.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End-to-end relocation with the real launcher: {@code reloc proxy} driven by {@code reloc ctl}
 * and written by qemu-io, killed with SIGKILL mid-copy and restarted.
 */
@Tag("interop")
class ProxyIT {
    private static final String URI = "serving (nbd://\\S+)";
    private static final int SIZE = 32 << 20;

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private Path source(byte[] content) throws IOException {
        Path source = dir.resolve("source.img");
        Files.write(source, content);
        return source;
    }

    @Test
    void aKilledProxyResumesAndLosesNothingFlushed() throws Exception {
        byte[] content = new byte[SIZE];
        new Random(17).nextBytes(content);
        Path source = source(content);
        Path cache = dir.resolve("cache.img");
        String control = "127.0.0.1:" + freePort();
        byte[] expected = content.clone();

        RelocProcess first = RelocProcess.start("proxy", "--listen", "127.0.0.1:0", "--export", "vm1",
                "--source", source.toUri().toString(), "--cache", cache.toString(), "--control", control,
                "--activate", "--rate", "256K");
        try (first) {
            String uri = first.awaitOut(URI);
            // A partial-block write (read-modify-write) and a multi-block write, then FLUSH.
            exec("qemu-io", "-f", "raw", uri, "-c", "write -P 0x5a 1000 70000", "-c", "write -P 0x6b 20M 300k", "-c", "flush");
            Arrays.fill(expected, 1000, 71000, (byte) 0x5a);
            Arrays.fill(expected, 20 << 20, (20 << 20) + 300 * 1024, (byte) 0x6b);
            String status = exec("../reloc", "ctl", "--control", control, "status");
            assertTrue(status.contains("\"state\":\"relocating\"") && status.contains("\"activatedBy\":\"at_start\""), status);
            // Paused, so that the figures below are taken mid-relocation however slow this machine is.
            exec("../reloc", "ctl", "--control", control, "pause");
            String json = exec("../reloc", "status", "--control", control, "--json");
            assertTrue(json.startsWith("{\"state\":\"paused\"") && json.contains("\"blocksTotal\":512"), json);
            String shown = exec("../reloc", "status", "--control", control);
            assertTrue(shown.matches("(?s)\\[[#.]{40}\\] +[0-9.]+%  paused .*/512 blocks.*"), shown);
            RelocProcess refused = RelocProcess.run("ctl", "--control", control, "detach");
            assertEquals(1, refused.exitValue(), refused.err());
            assertTrue(refused.err().contains("the proxy refused 'detach'") && refused.err().contains("not complete"), refused.err());
            first.killHard();
        }
        assertFalse(new String(Files.readAllBytes(ProxyConfigPaths.map(cache)), StandardCharsets.ISO_8859_1).isEmpty());

        try (RelocProcess second = RelocProcess.start("proxy", "--listen", "127.0.0.1:0", "--export", "vm1",
                "--source", source.toUri().toString(), "--cache", cache.toString(), "--control", control)) {
            String uri = second.awaitOut(URI);
            String resumed = exec("../reloc", "ctl", "--control", control, "status");
            assertFalse(resumed.contains("\"state\":\"standby\""), "activation must survive a crash: " + resumed);
            assertTrue(resumed.contains("\"activatedBy\":\"at_start\""), resumed);
            exec("qemu-io", "-f", "raw", uri, "-c", "read -P 0x5a 1000 70000", "-c", "read -P 0x6b 20M 300k");
            String done = exec("../reloc", "ctl", "--control", control, "wait", "120");
            assertTrue(done.contains("\"state\":\"complete\""), done);
            Path expectedImage = dir.resolve("expected.img");
            Files.write(expectedImage, expected);
            exec("qemu-img", "compare", "-U", "-f", "raw", "-F", "raw", expectedImage.toString(), uri);
            second.terminate();
            assertEquals(0, second.waitFor(), second.err());
        }
        assertArrayEquals(expected, Files.readAllBytes(cache), "the detached cache must be the whole disk");
        assertArrayEquals(content, Files.readAllBytes(source), "the source must never be written");
    }

    @Test
    void ctlWithoutAProxyIsOneLine() throws Exception {
        String control = "127.0.0.1:" + freePort();
        RelocProcess p = RelocProcess.run("ctl", "--control", control, "status");
        assertEquals(1, p.exitValue());
        assertEquals(List.of("reloc ctl: no proxy answers on " + control + ": is 'reloc proxy' running with --control " + control + "?"),
                p.errLines());
    }

    @Test
    void aMapFromAnotherSourceIsRefused() throws Exception {
        Path source = source(new byte[1 << 20]);
        Path cache = dir.resolve("cache.img");
        RelocProcess first = RelocProcess.run("-q", "proxy", "--listen", "127.0.0.1:0", "--export", "vm1",
                "--source", source.toUri().toString(), "--cache", cache.toString(), "--control", "none", "--duration", "1");
        assertEquals(0, first.exitValue(), first.err());
        Path other = dir.resolve("other.img");
        Files.write(other, new byte[1 << 20]);
        RelocProcess second = RelocProcess.run("proxy", "--listen", "127.0.0.1:0", "--export", "vm1",
                "--source", other.toUri().toString(), "--cache", cache.toString(), "--control", "none");
        assertEquals(1, second.exitValue());
        assertEquals(1, second.errLines().size(), second.err());
        assertTrue(second.err().contains("does not match this relocation") && second.err().contains("belongs to source"), second.err());
    }

    /** Runs a program; fails the test on a non-zero exit. Returns its stdout and stderr. */
    private static String exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed: " + text);
        return text;
    }

    /** Where the proxy keeps its map by default. */
    private static final class ProxyConfigPaths {
        static Path map(Path cache) {
            return io.reloc.core.relocation.ProxyConfig.defaultMap(cache);
        }
    }
}
