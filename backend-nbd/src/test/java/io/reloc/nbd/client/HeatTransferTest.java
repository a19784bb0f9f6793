package io.reloc.nbd.client;

import io.reloc.api.HotRegion;
import io.reloc.core.heat.HeatFile;
import io.reloc.core.heat.HeatMap;
import io.reloc.core.heat.HeatRecordingDevice;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The source's heat map crosses to the destination over the handshake, or is simply absent. */
class HeatTransferTest {
    private static final int MIB = 1 << 20;

    @TempDir
    Path dir;

    private final NbdSourceConnector connector = new NbdSourceConnector();

    @Test
    void aRelocServerSendsTheHotRegionsOfARecordingExport() throws IOException {
        HeatRecordingDevice disk = HeatRecordingDevice.open(new MemoryBlockStore(16 * MIB), HeatFile.beside(dir.resolve("d.img")),
                HeatMap.Config.DEFAULT, InstantSource.system(), Duration.ZERO);
        try (TestServer server = new TestServer().export("disk", disk).export("plain", new MemoryBlockStore(MIB)).start()) {
            String base = "nbd://127.0.0.1:" + server.address().getPort();
            for (int i = 0; i < 3; i++) {
                disk.read(5L * MIB + 100, ByteBuffer.allocate(4096));
            }
            disk.write(9L * MIB, ByteBuffer.allocate(512), false);

            List<HotRegion> regions = connector.hotRegions(URI.create(base + "/disk"), 100);
            assertEquals(List.of(5L * MIB, 9L * MIB), regions.stream().map(HotRegion::offset).toList(), regions.toString());
            assertEquals(3, regions.getFirst().heat(), 0.01);
            assertEquals(1, connector.hotRegions(URI.create(base + "/disk"), 1).size(), "the limit holds");

            assertEquals(List.of(), connector.hotRegions(URI.create(base + "/plain"), 100),
                    "an export without a heat map: nothing, not an error");
            IOException unknown = assertThrows(IOException.class, () -> connector.hotRegions(URI.create(base + "/nope"), 10));
            assertTrue(unknown.getMessage().contains("nope"), unknown.getMessage());

            // The server still serves normally afterwards: the request left no state behind.
            try (NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(URI.create(base + "/disk")))) {
                device.read(0, ByteBuffer.allocate(4096));
            }
        } finally {
            disk.close();
        }
    }

    @Test
    void aForeignServerAnswersUnsupportedAndTheMapIsEmpty() throws IOException {
        try (FakeNbdServer foreign = new FakeNbdServer().start()) {
            URI uri = URI.create("nbd://127.0.0.1:" + foreign.address().getPort() + "/disk");
            assertEquals(List.of(), connector.hotRegions(uri, 100));
            assertTrue(foreign.options.contains("RELOC_HEAT"), foreign.options.toString());
            // Plain NBD still works against it.
            try (NbdSourceDevice device = NbdSourceDevice.open(NbdUri.parse(uri))) {
                assertEquals(1 << 20, device.size());
            }
        }
    }

    @Test
    void aServerThatIsNotFixedNewstyleIsNotAsked() throws IOException {
        try (FakeNbdServer old = new FakeNbdServer()) {
            old.greeting = new io.reloc.nbd.protocol.Greeting(0).encode().array();
            old.start();
            URI uri = URI.create("nbd://127.0.0.1:" + old.address().getPort() + "/disk");
            assertEquals(List.of(), connector.hotRegions(uri, 100));
            assertTrue(old.options.isEmpty(), "no option sent: " + old.options);
        }
    }
}
