package io.reloc.nbd.client;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** nbdkit does not know RELOC_HEAT: no heat map, and the export still opens as usual after. */
@Tag("interop")
class HeatInteropTest {
    @TempDir
    Path dir;

    @Test
    void nbdkitHasNoHeatMapAndStillServes() throws Exception {
        int port = ExternalServer.freePort();
        try (ExternalServer nbdkit = ExternalServer.nbdkit(port, dir.resolve("nbdkit.log"), "memory", "size=4M")) {
            URI uri = URI.create("nbd://127.0.0.1:" + port + "/");
            assertEquals(List.of(), new NbdSourceConnector().hotRegions(uri, 100));
            try (NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(uri))) {
                device.read(0, ByteBuffer.allocate(4096));
                assertEquals(4 << 20, device.size());
            }
        }
    }
}
