package io.reloc.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExportServerTest {
    @TempDir
    Path dir;

    private final FakePlugins fake = new FakePlugins();

    private ExportSpec image(String name, boolean readOnly) throws IOException {
        Path path = dir.resolve(name + ".img");
        Files.write(path, new byte[4096]);
        return new ExportSpec(name, path, readOnly, "");
    }

    private static List<FrontEndSpec> nbd() {
        return List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0")));
    }

    @Test
    void stopClosesFrontEndsBeforeFlushingAndClosingDevices() throws IOException {
        ExportServer server = ExportServer.start(fake.plugins(), List.of(image("a", false), image("b", true)), nbd());
        assertEquals(List.of("open a.img", "open b.img", "start nbd 2 exports"), fake.events);
        assertEquals(4242, server.bound().get(0).address().getPort());
        fake.events.clear();

        assertTrue(server.stop());
        // b is read-only: nothing to flush.
        assertEquals(List.of("close nbd", "flush a.img", "close a.img", "close b.img"), fake.events);
        fake.events.clear();
        assertTrue(server.stop(), "a second stop does nothing");
        assertEquals(List.of(), fake.events);
    }

    @Test
    void failedFlushMakesTheStopUnclean() throws IOException {
        ExportServer server = ExportServer.start(fake.plugins(), List.of(image("a", false)), nbd());
        fake.failFlush = true;
        assertFalse(server.stop());
        assertTrue(fake.events.contains("close a.img"), "the device is closed even when its flush failed");
    }

    @Test
    void busyPortIsOneClearMessageAndClosesTheDevices() throws IOException {
        fake.portBusy = true;
        CliException e = assertThrows(CliException.class,
                () -> ExportServer.start(fake.plugins(), List.of(image("a", false)), nbd()));
        assertEquals("address 127.0.0.1:0 is already in use: stop the other server or choose another --listen", e.getMessage());
        assertTrue(fake.events.containsAll(List.of("close nbd", "flush a.img", "close a.img")), fake.events.toString());
    }

    @Test
    void missingImageFailsBeforeOpeningAnything() {
        ExportSpec missing = new ExportSpec("gone", dir.resolve("gone.img"), false, "");
        CliException e = assertThrows(CliException.class, () -> ExportServer.start(fake.plugins(), List.of(missing), nbd()));
        assertTrue(e.getMessage().startsWith("image file " + missing.path() + " does not exist (export 'gone')"), e.getMessage());
        assertEquals(List.of(), fake.events);
    }

    @Test
    void unknownFrontEndNamesWhatExists() throws IOException {
        List<FrontEndSpec> iscsi = List.of(new FrontEndSpec("iscsi", ListenAddress.parse("127.0.0.1:0")));
        CliException e = assertThrows(CliException.class, () -> ExportServer.start(fake.plugins(), List.of(image("a", false)), iscsi));
        assertEquals("unknown front end 'iscsi'; available: nbd", e.getMessage());
        assertTrue(fake.events.contains("close a.img"));
    }
}
