package io.reloc.core.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Only aligned writes go direct; the rest is left to the caller, untouched. */
class DirectWritesTest {
    private static final int A = DirectWrites.ALIGNMENT;

    @TempDir
    Path dir;

    @Test
    void alignedWritesGoDirectAndTheRestIsLeftToTheCaller() throws IOException {
        Path file = Files.write(dir.resolve("disk.img"), new byte[16 * A]);
        byte[] data = new byte[8 * A];
        new Random(8).nextBytes(data);
        try (Arena arena = Arena.ofConfined(); DirectWrites direct = DirectWrites.open(file)) {
            assumeTrue(direct.active(), "the file system of " + dir + " has no O_DIRECT");
            MemorySegment buffer = arena.allocate(data.length + A, A);
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);

            assertEquals(0, direct.write(buffer.asSlice(512, 4 * A).asByteBuffer(), 0), "an unaligned address");
            assertEquals(0, direct.write(buffer.asSlice(0, 4 * A).asByteBuffer(), 512), "an unaligned offset");
            assertEquals(0, direct.write(buffer.asSlice(0, 4 * A + 512).asByteBuffer(), 0), "an unaligned length");
            assertEquals(0, direct.write(ByteBuffer.wrap(data), 0), "a heap buffer");
            assertArrayEquals(new byte[16 * A], Files.readAllBytes(file), "nothing was written");

            ByteBuffer src = buffer.asSlice(0, 8 * A).asByteBuffer();
            assertEquals(8L * A, direct.write(src, 4 * A));
            assertEquals(0, src.position(), "the caller's buffer is left as it was");
            byte[] expected = new byte[16 * A];
            System.arraycopy(data, 0, expected, 4 * A, data.length);
            assertArrayEquals(expected, Files.readAllBytes(file));
            assertEquals(0, direct.write(buffer.asSlice(0, 0).asByteBuffer(), 0), "nothing to write");
        }
    }

    @Test
    void turnedOffByTheProperty() throws IOException {
        Path file = Files.write(dir.resolve("disk.img"), new byte[A]);
        System.setProperty(DirectWrites.PROPERTY, "false");
        try (DirectWrites direct = DirectWrites.open(file); Arena arena = Arena.ofConfined()) {
            assertFalse(direct.active());
            assertEquals(0, direct.write(arena.allocate(A, A).asByteBuffer(), 0));
        } finally {
            System.clearProperty(DirectWrites.PROPERTY);
        }
    }
}
