package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileSourceConnectorTest {
    @TempDir
    Path dir;

    @Test
    void opensTheFileReadOnly() throws IOException {
        Path file = dir.resolve("source.img");
        Files.write(file, new byte[] {1, 2, 3, 4});
        try (BlockDevice source = new FileSourceConnector().open(file.toUri())) {
            assertEquals(4, source.size());
            assertTrue(source.isReadOnly());
            assertArrayEquals(new byte[] {2, 3}, FileBlockStoreTest.read(source, 1, 2));
            FileBlockStoreTest.assertError(BlockError.READ_ONLY, () -> source.write(0, ByteBuffer.allocate(1), false));
        }
    }

    @Test
    void aMissingFileIsNamedWithItsUri() {
        URI uri = dir.resolve("missing.img").toUri();
        IOException e = assertThrows(IOException.class, () -> new FileSourceConnector().open(uri));
        assertTrue(e.getMessage().startsWith("cannot open source " + uri + ": no such file"), e.getMessage());
    }

    @Test
    void remoteHostsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new FileSourceConnector().open(URI.create("file://elsewhere/disk.img")));
    }
}
