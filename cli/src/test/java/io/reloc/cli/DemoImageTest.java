package io.reloc.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoImageTest {
    @TempDir
    Path dir;

    private static final long SIZE = 16L << 20;

    @Test
    void sameSeedGivesSameBytesAndOtherSeedOtherBytes() throws IOException {
        Path a = dir.resolve("a.img");
        Path b = dir.resolve("b.img");
        Path c = dir.resolve("c.img");
        DemoImage.write(a, SIZE, 7);
        DemoImage.write(b, SIZE, 7);
        DemoImage.write(c, SIZE, 8);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)));
    }

    @Test
    void mixesZeroTextAndRandomContent() throws IOException {
        Path path = dir.resolve("demo.img");
        DemoImage.Summary summary = DemoImage.write(path, SIZE, 1);
        assertEquals(SIZE, Files.size(path));
        assertEquals(SIZE, summary.zeroBytes() + summary.textBytes() + summary.randomBytes());
        assertTrue(summary.zeroBytes() > SIZE / 5, summary.toString());
        assertTrue(summary.textBytes() > SIZE / 10, summary.toString());
        assertTrue(summary.randomBytes() > SIZE / 20, summary.toString());

        byte[] bytes = Files.readAllBytes(path);
        assertTrue(new String(bytes, 0, 200, java.nio.charset.StandardCharsets.US_ASCII).startsWith("Nov "), "the first MiB is text");
        long zeroChunks = 0;
        for (int off = 0; off < bytes.length; off += DemoImage.CHUNK) {
            boolean zero = true;
            for (int i = off; i < off + DemoImage.CHUNK && zero; i++) {
                zero = bytes[i] == 0;
            }
            zeroChunks += zero ? 1 : 0;
        }
        assertEquals(summary.zeroBytes() / DemoImage.CHUNK, zeroChunks, "zero runs read as zeroes");
    }

    @Test
    void rewritingReplacesOldContentWithHoles() throws IOException {
        Path path = dir.resolve("demo.img");
        Files.write(path, new byte[(int) SIZE]);
        byte[] ones = new byte[(int) SIZE];
        Arrays.fill(ones, (byte) 1);
        Files.write(path, ones);
        DemoImage.write(path, SIZE, 3);
        Path fresh = dir.resolve("fresh.img");
        DemoImage.write(fresh, SIZE, 3);
        assertArrayEquals(Files.readAllBytes(fresh), Files.readAllBytes(path));
    }

    @Test
    void lastChunkMayBePartial() throws IOException {
        Path path = dir.resolve("odd.img");
        long size = (1L << 20) + 512 * 3;
        DemoImage.Summary summary = DemoImage.write(path, size, 1);
        assertEquals(size, Files.size(path));
        assertEquals(size, summary.zeroBytes() + summary.textBytes() + summary.randomBytes());
    }
}
