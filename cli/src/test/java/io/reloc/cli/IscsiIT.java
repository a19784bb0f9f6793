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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code --iscsi} on {@code serve} and {@code proxy}, with libiscsi's tools and qemu-img as initiators. */
@Tag("interop")
class IscsiIT {
    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private Path randomImage(String name, int size) throws IOException {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        Path image = dir.resolve(name);
        Files.write(image, content);
        return image;
    }

    @Test
    void serveExportsEachImageAsAnIscsiTargetWithChap() throws Exception {
        Path image = randomImage("disk.img", 8 << 20);
        Path secrets = dir.resolve("secrets");
        Files.writeString(secrets, "chap-user=alice\nchap-secret=alice-secret-1\n");
        String portal = "127.0.0.1:" + freePort();
        try (RelocProcess p = RelocProcess.start("serve", "--listen", "127.0.0.1:0", "--iscsi", portal, "--chap-secrets", secrets.toString(),
                "--export", "vm1=" + image)) {
            String uri = p.awaitOut("serving (iscsi://\\S+)");
            assertEquals("iscsi://" + portal + "/iqn.2026-11.io.reloc:vm1/0", uri);
            String withSecret = uri.replace("iscsi://", "iscsi://alice%alice-secret-1@");
            assertTrue(exec("iscsi-ls", "-s", "iscsi://alice%alice-secret-1@" + portal).contains("iqn.2026-11.io.reloc:vm1"));
            exec("qemu-img", "compare", "-f", "raw", "-F", "raw", image.toString(), withSecret);
            Process wrong = new ProcessBuilder("iscsi-inq", uri.replace("iscsi://", "iscsi://alice%wrong-secret-9@"))
                    .redirectErrorStream(true).start();
            String refused = new String(wrong.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(wrong.waitFor(1, TimeUnit.MINUTES));
            assertTrue(wrong.exitValue() != 0 && refused.contains("Authentication failure"), refused);
        }
    }

    @Test
    void aProxyServesItsRelocatingDiskOverIscsiMidRelocation() throws Exception {
        Path source = randomImage("source.img", 32 << 20);
        String portal = "127.0.0.1:" + freePort();
        String control = "127.0.0.1:" + freePort();
        try (RelocProcess p = RelocProcess.start("proxy", "--listen", "127.0.0.1:0", "--iscsi", portal, "--export", "vm1",
                "--source", source.toUri().toString(), "--cache", dir.resolve("cache.img").toString(), "--control", control,
                "--activate", "--rate", "1M")) {
            String uri = p.awaitOut("serving (iscsi://\\S+)");
            exec("qemu-img", "info", uri);
            String status = exec("../reloc", "ctl", "--control", control, "status");
            assertTrue(status.contains("\"state\":\"relocating\""), "the compare should start mid-relocation: " + status);
            // Whatever is not local yet is fetched on demand by the reads of the compare.
            exec("qemu-img", "compare", "-f", "raw", "-F", "raw", source.toString(), uri);
            Path copy = dir.resolve("copy.img");
            exec("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, copy.toString());
            exec("cmp", source.toString(), copy.toString());
        }
    }

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
