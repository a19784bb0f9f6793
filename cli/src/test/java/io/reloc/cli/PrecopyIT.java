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
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hybrid pre-copy end to end with the real launcher: {@code reloc serve} is the source, qemu-io
 * writes there while {@code reloc proxy --precopy} copies, then the proxy is activated and must
 * end with the source as it was at switch-over.
 */
@Tag("interop")
class PrecopyIT {
    private static final String URI = "serving (nbd://\\S+)";
    private static final int SIZE = 16 << 20;
    private static final Pattern PRESENT = Pattern.compile("\"blocksTotal\":(\\d+),\"blocksPresent\":(\\d+)");

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void writesAtTheSourceDuringPrecopyAreRefetchedAtSwitchOver() throws Exception {
        byte[] content = new byte[SIZE];
        new Random(23).nextBytes(content);
        Path source = dir.resolve("source.img");
        Files.write(source, content);
        Path cache = dir.resolve("cache.img");
        String control = "127.0.0.1:" + freePort();

        try (RelocProcess serve = RelocProcess.start("serve", "--listen", "127.0.0.1:0", "--export", "vm1=" + source)) {
            String sourceUri = serve.awaitOut(URI);
            // A write before the proxy starts: pre-copy copies it like any other byte.
            exec("qemu-io", "-f", "raw", sourceUri, "-c", "write -P 0x11 1M 64k");
            try (RelocProcess proxy = RelocProcess.start("proxy", "--listen", "127.0.0.1:0", "--export", "vm1",
                    "--source", sourceUri, "--cache", cache.toString(), "--control", control, "--precopy")) {
                String proxyUri = proxy.awaitOut(URI);
                assertTrue(exec("../reloc", "ctl", "--control", control, "status").contains("\"state\":\"precopy\""));
                // The VM still runs at the source: writes land while blocks are being copied.
                exec("qemu-io", "-f", "raw", sourceUri, "-c", "write -P 0x22 5000 3000", "-c", "write -z 8M 1M");
                awaitFullyPrecopied(control);
                // And after they were copied: these blocks are stale at the destination now.
                exec("qemu-io", "-f", "raw", sourceUri, "-c", "write -P 0x33 2M 100k", "-c", "discard 12M 64k",
                        "-c", "write -P 0x44 16383k 1k", "-c", "flush");
                // Before switch-over the proxy shows the source as it is now.
                exec("qemu-io", "-f", "raw", proxyUri, "-c", "read -P 0x33 2M 100k");

                // Switch-over: the VM has stopped at the source.
                byte[] atSwitchOver = Files.readAllBytes(source);
                String activated = exec("../reloc", "ctl", "--control", control, "activate");
                assertTrue(activated.contains("\"activatedBy\":\"control\""), activated);
                assertTrue(activated.contains("\"state\":\"relocating\"") || activated.contains("\"state\":\"complete\""), activated);
                String done = exec("../reloc", "ctl", "--control", control, "wait", "120");
                assertTrue(done.contains("\"state\":\"complete\""), done);
                Path expected = dir.resolve("expected.img");
                Files.write(expected, atSwitchOver);
                exec("qemu-img", "compare", "-U", "-f", "raw", "-F", "raw", expected.toString(), proxyUri);
                proxy.terminate();
                assertEquals(0, proxy.waitFor(), proxy.err());
                assertArrayEquals(atSwitchOver, Files.readAllBytes(cache), "the cache must be the source at switch-over");
            }
            serve.terminate();
            assertEquals(0, serve.waitFor(), serve.err());
        }
    }

    @Test
    void precopyFromASourceThatCannotTrackIsRefused() throws Exception {
        Path source = dir.resolve("source.img");
        Files.write(source, new byte[1 << 20]);
        RelocProcess p = RelocProcess.run("proxy", "--listen", "127.0.0.1:0", "--export", "vm1",
                "--source", source.toUri().toString(), "--cache", dir.resolve("cache.img").toString(), "--control", "none",
                "--precopy");
        assertEquals(1, p.exitValue());
        assertTrue(p.err().contains("start without pre-copy"), p.err());
    }

    /** Polls the status until every block has been copied at least once. */
    private static void awaitFullyPrecopied(String control) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            String status = exec("../reloc", "ctl", "--control", control, "status");
            assertTrue(status.contains("\"state\":\"precopy\""), status);
            Matcher m = PRESENT.matcher(status);
            assertTrue(m.find(), status);
            if (m.group(1).equals(m.group(2))) {
                return;
            }
            Thread.sleep(200);
        }
        fail("pre-copy did not copy the whole disk in time");
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
}
