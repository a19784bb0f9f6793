package io.reloc.nbd.interop;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.fail;

/** Disk images for the interop tests and byte-exact comparisons of them. */
final class Images {
    static final int MIB = 1 << 20;

    private Images() {}

    /** A fully sparse file of {@code size} bytes: reads as zeroes, allocates nothing. */
    static Path sparse(Path file, long size) throws IOException {
        Files.deleteIfExists(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    /** Random bytes from {@code seed}, except every fourth MiB which stays a hole (zeroes). */
    static byte[] randomWithHoles(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        for (int mib = 3; (long) mib * MIB < size; mib += 4) {
            Arrays.fill(data, mib * MIB, Math.min(size, (mib + 1) * MIB), (byte) 0);
        }
        return data;
    }

    static byte[] random(int size, long seed) {
        byte[] data = new byte[size];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < size; j++) {
                data[i + j] = (byte) (v >>> (8 * j));
            }
        }
        return data;
    }

    /** Writes {@code data}, leaving all-zero MiBs as holes so that sparse paths get exercised. */
    static Path write(Path file, byte[] data) throws IOException {
        sparse(file, data.length);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            for (int off = 0; off < data.length; off += MIB) {
                int len = Math.min(MIB, data.length - off);
                if (!allZero(data, off, len)) {
                    raf.seek(off);
                    raf.write(data, off, len);
                }
            }
        }
        return file;
    }

    static byte[] filled(int size, int value) {
        byte[] data = new byte[size];
        Arrays.fill(data, (byte) value);
        return data;
    }

    /** Fails with the first differing offset unless {@code file} holds exactly {@code expected}. */
    static void assertContent(byte[] expected, Path file) throws IOException {
        byte[] actual = Files.readAllBytes(file);
        if (actual.length != expected.length) {
            fail(file + " has " + actual.length + " bytes, expected " + expected.length);
        }
        int at = Arrays.mismatch(expected, actual);
        if (at >= 0) {
            fail(file + " differs from the expected bytes at offset " + at + ": expected 0x"
                    + Integer.toHexString(expected[at] & 0xff) + ", found 0x" + Integer.toHexString(actual[at] & 0xff));
        }
    }

    /** Fails with the first differing offset unless the two files are byte-identical. */
    static void assertSameFiles(Path expected, Path actual) throws IOException {
        long at = Files.mismatch(expected, actual);
        if (at >= 0) {
            fail(actual + " differs from " + expected + " at offset " + at + " (sizes " + Files.size(expected)
                    + " and " + Files.size(actual) + ")");
        }
    }

    private static boolean allZero(byte[] data, int off, int len) {
        for (int i = off; i < off + len; i++) {
            if (data[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
