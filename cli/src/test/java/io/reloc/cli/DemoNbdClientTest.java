package io.reloc.cli;

import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's writing NBD client against Reloc's own NBD server, on loopback. */
class DemoNbdClientTest {
    @TempDir
    Path dir;

    private ExportServer serve(boolean readOnly) throws IOException {
        Path image = dir.resolve("disk.img");
        byte[] content = new byte[1 << 20];
        Arrays.fill(content, (byte) 7);
        Files.write(image, content);
        return ExportServer.start(Plugins.load(), List.of(new ExportSpec("d", image, readOnly, "")),
                List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0"))));
    }

    @Test
    void writesReadsBackAndFlushes() throws IOException {
        ExportServer server = serve(false);
        try (DemoNbdClient client = DemoNbdClient.open(server.bound().get(0).address(), "d")) {
            assertEquals(1 << 20, client.size());
            byte[] data = new byte[8192];
            Arrays.fill(data, (byte) 0x5a);
            client.write(4096, data);
            client.flush();
            byte[] back = new byte[3 * 4096];
            client.read(0, back);
            byte[] expected = new byte[3 * 4096];
            Arrays.fill(expected, 0, 4096, (byte) 7);
            Arrays.fill(expected, 4096, expected.length, (byte) 0x5a);
            assertArrayEquals(expected, back);
        } finally {
            server.stop();
        }
        byte[] file = Files.readAllBytes(dir.resolve("disk.img"));
        assertEquals(0x5a, file[4096]);
        assertEquals(7, file[4096 + 8192]);
    }

    @Test
    void unknownExportAndReadOnlyExportAreRefused() throws IOException {
        ExportServer server = serve(true);
        try {
            IOException unknown = assertThrows(IOException.class, () -> DemoNbdClient.open(server.bound().get(0).address(), "nope"));
            assertTrue(unknown.getMessage().contains("refused export 'nope'"), unknown.getMessage());
            IOException readOnly = assertThrows(IOException.class, () -> DemoNbdClient.open(server.bound().get(0).address(), "d"));
            assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
        } finally {
            server.stop();
        }
    }
}
