package io.reloc.core.relocation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Resuming from a map: what is reused, what is refused, and why. */
class RelocationResumeTest {
    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private TestSource source(int size) throws IOException {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        return new TestSource(content);
    }

    @Test
    void resumingKeepsPresentBlocksAndTheActivation() throws IOException {
        TestSource source = source(BLOCK * 4);
        CrashableStore cache = new CrashableStore(BLOCK * 4);
        MapFile map = new MapFile(dir.resolve("m"));
        RelocatingDevice first = RelocatingDevice.open(cache, source, map, BLOCK, "src", "c1", false);
        first.activate(ActivationTrigger.CONTROL);
        first.read(0, ByteBuffer.allocate(2 * BLOCK));
        first.flush();

        long readsBefore = source.reads.get();
        RelocatingDevice second = RelocatingDevice.open(cache, source, map, BLOCK, "src", "c1", false);
        assertEquals(RelocationState.ACTIVE, second.status().state());
        assertEquals(ActivationTrigger.CONTROL, second.status().trigger());
        assertEquals(2, second.status().presentBlocks());
        second.read(0, ByteBuffer.allocate(2 * BLOCK));
        assertEquals(readsBefore, source.reads.get(), "present blocks must not be fetched again");
    }

    @Test
    void aMapOfAnotherDiskSourceOrCacheIsRefused() throws IOException {
        MapFile map = new MapFile(dir.resolve("m"));
        RelocatingDevice.open(new CrashableStore(BLOCK * 4), source(BLOCK * 4), map, BLOCK, "src", "c1", true).flush();

        String size = assertThrows(IOException.class, () ->
                RelocatingDevice.open(new CrashableStore(BLOCK * 5), source(BLOCK * 5), map, BLOCK, "src", "c1", true)).getMessage();
        assertTrue(size.contains("bytes"), size);
        String block = assertThrows(IOException.class, () ->
                RelocatingDevice.open(new CrashableStore(BLOCK * 4), source(BLOCK * 4), map, 2 * BLOCK, "src", "c1", true)).getMessage();
        assertTrue(block.contains("--block-size 4096"), block);
        String other = assertThrows(IOException.class, () ->
                RelocatingDevice.open(new CrashableStore(BLOCK * 4), source(BLOCK * 4), map, BLOCK, "elsewhere", "c1", true)).getMessage();
        assertTrue(other.contains("belongs to source 'src'"), other);
        String cache = assertThrows(IOException.class, () ->
                RelocatingDevice.open(new CrashableStore(BLOCK * 4), source(BLOCK * 4), map, BLOCK, "src", "c2", true)).getMessage();
        assertTrue(cache.contains("another cache file"), cache);
    }

    @Test
    void aDamagedMapIsRefusedNotTrusted() throws IOException {
        MapFile map = new MapFile(dir.resolve("m"));
        RelocatingDevice device = RelocatingDevice.open(new CrashableStore(BLOCK * 4), source(BLOCK * 4), map, BLOCK, "src", "c1", true);
        device.read(0, ByteBuffer.allocate(BLOCK));
        device.flush();
        byte[] bytes = Files.readAllBytes(map.path());
        bytes[bytes.length - 10] ^= 1;
        Files.write(map.path(), bytes);
        String message = assertThrows(IOException.class, map::read).getMessage();
        assertTrue(message.contains("checksum"), message);
    }

    @Test
    void aCacheOfTheWrongSizeIsRefused() throws IOException {
        String message = assertThrows(IOException.class, () -> RelocatingDevice.open(new CrashableStore(BLOCK), source(BLOCK * 4),
                new MapFile(dir.resolve("m")), BLOCK, "src", "c1", true)).getMessage();
        assertTrue(message.contains("the cache holds"), message);
    }
}
