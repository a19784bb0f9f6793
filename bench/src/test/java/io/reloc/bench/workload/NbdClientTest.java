package io.reloc.bench.workload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The workloads' writing NBD client against Reloc's own NBD server, on loopback. */
class NbdClientTest {
    @TempDir
    Path dir;

    private LocalServer serve(boolean readOnly) throws IOException {
        Path image = dir.resolve("disk.img");
        byte[] content = new byte[1 << 20];
        Arrays.fill(content, (byte) 7);
        Files.write(image, content);
        return LocalServer.serve(image, "d", readOnly);
    }

    @Test
    void writesReadsBackAndFlushes() throws IOException {
        LocalServer server = serve(false);
        try (NbdClient client = NbdClient.open(server.address(), "d")) {
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
            server.close();
        }
        byte[] file = Files.readAllBytes(dir.resolve("disk.img"));
        assertEquals(0x5a, file[4096]);
        assertEquals(7, file[4096 + 8192]);
    }

    @Test
    void unknownExportAndReadOnlyExportAreRefused() throws IOException {
        LocalServer server = serve(true);
        try {
            IOException unknown = assertThrows(IOException.class, () -> NbdClient.open(server.address(), "nope"));
            assertTrue(unknown.getMessage().contains("refused export 'nope'"), unknown.getMessage());
            IOException readOnly = assertThrows(IOException.class, () -> NbdClient.open(server.address(), "d"));
            assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
        } finally {
            server.close();
        }
    }
}
