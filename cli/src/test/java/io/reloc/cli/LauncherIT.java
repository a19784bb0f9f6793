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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * End-to-end: the real {@code ./reloc} launcher (built by {@code mvn package} before failsafe runs
 * this) serving files to nbdinfo and qemu-io.
 */
@Tag("interop")
class LauncherIT {
    private static final String URI = "serving (nbd://\\S+)";

    @TempDir
    Path dir;

    private Path image(long size) throws IOException {
        Path path = dir.resolve("disk.img");
        try (var file = new java.io.RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(size);
        }
        return path;
    }

    @Test
    void helpWorks() throws Exception {
        RelocProcess p = RelocProcess.run("serve", "--help");
        assertEquals(0, p.exitValue(), p.err());
        assertTrue(p.out().startsWith("Usage: reloc serve"), p.out());
    }

    @Test
    void badFlagIsAUsageError() throws Exception {
        RelocProcess p = RelocProcess.run("serve", "--no-such-flag");
        assertEquals(2, p.exitValue());
        assertEquals("reloc serve: Unknown option: '--no-such-flag'", p.errLines().get(0));
    }

    @Test
    void missingImageIsOneLineWithoutStackTrace() throws Exception {
        Path missing = dir.resolve("missing.img");
        RelocProcess p = RelocProcess.run("serve", "--export", "vm1=" + missing);
        assertEquals(1, p.exitValue());
        assertEquals(1, p.errLines().size(), p.err());
        assertTrue(p.err().startsWith("reloc serve: image file " + missing + " does not exist"), p.err());
        assertFalse(p.err().contains("Exception"), p.err());
    }

    @Test
    void busyPortIsOneLine() throws Exception {
        Path image = image(1 << 20);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            RelocProcess p = RelocProcess.run("-q", "serve", "--listen", listen, "--export", "vm1=" + image);
            assertEquals(1, p.exitValue(), p.err());
            assertEquals(List.of("reloc serve: address " + listen + " is already in use: stop the other server or choose another --listen"),
                    p.errLines());
        }
    }

    @Test
    void servesTheImageSizeToNbdinfo() throws Exception {
        long size = 3L << 20;
        Path image = image(size);
        try (RelocProcess p = RelocProcess.start("serve", "--listen", "127.0.0.1:0", "--export", "vm1=" + image + ",readonly")) {
            String uri = p.awaitOut(URI);
            assertTrue(uri.matches("nbd://127\\.0\\.0\\.1:[0-9]+/vm1"), uri);
            String json = exec("nbdinfo", "--json", uri);
            Matcher m = Pattern.compile("\"export-size\"\\s*:\\s*([0-9]+)").matcher(json);
            assertTrue(m.find(), json);
            assertEquals(size, Long.parseLong(m.group(1)));
            assertTrue(json.contains("\"is_read_only\": true"), json);
        }
    }

    @Test
    void sigtermFlushesWrittenDataAndExitsZero() throws Exception {
        Path image = image(1 << 20);
        RelocProcess p = RelocProcess.start("serve", "--listen", "127.0.0.1:0", "--export", "vm1=" + image);
        try (p) {
            String uri = p.awaitOut(URI);
            exec("qemu-io", "-f", "raw", uri, "-c", "write -P 0x5a 0 64k", "-c", "flush");
            p.terminate();
            assertEquals(0, p.waitFor(), p.err());
        }
        assertTrue(p.err().lines().anyMatch(l -> l.endsWith(" - stopped")), p.err());
        byte[] bytes = Files.readAllBytes(image);
        for (int i = 0; i < 64 * 1024; i++) {
            if (bytes[i] != 0x5a) {
                fail("byte " + i + " is " + bytes[i] + ", not 0x5a");
            }
        }
        assertEquals(0, bytes[64 * 1024], "past the write the image is untouched");
    }

    @Test
    void demoServesItsImage() throws Exception {
        Path demoDir = dir.resolve("demo");
        try (RelocProcess p = RelocProcess.start("demo", "--serve-only", "--size", "8M", "--dir", demoDir.toString(), "--listen", "127.0.0.1:0",
                "--duration", "600")) {
            String uri = p.awaitOut("^\\s+(nbd://\\S+/demo)\\s*$");
            // The client commands follow the URI; wait for them rather than race the output.
            p.awaitOut("nbdinfo --map " + java.util.regex.Pattern.quote(uri));
            exec("qemu-img", "compare", "-U", "-f", "raw", "-F", "raw", demoDir.resolve("demo.img").toString(), uri);
            p.terminate();
            assertEquals(0, p.waitFor(), p.err());
        }
    }

    @Test
    void demoCheckRunsTheClientsAgainstTheDemo() throws Exception {
        RelocProcess p = RelocProcess.run("-q", "demo", "--serve-only", "--check", "--size", "8M", "--dir", dir.resolve("demo").toString(),
                "--listen", "127.0.0.1:0");
        assertEquals(0, p.exitValue(), p.out() + "\n" + p.err());
        assertTrue(p.out().contains("all checks passed"), p.out());
        assertFalse(p.out().contains("FAIL"), p.out());
    }

    /** Runs a client program; fails the test on a non-zero exit. Returns its stdout. */
    private static String exec(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail(String.join(" ", command) + " did not finish");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed: " + text);
        return text;
    }
}
