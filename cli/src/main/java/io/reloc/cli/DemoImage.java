package io.reloc.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a disk image that looks like a used VM disk: runs of holes (never written, so the file
 * stays sparse), text-like blocks (logs, configuration) and random-like blocks (compressed files,
 * binaries). The same size and seed always give the same bytes.
 */
final class DemoImage {
    /** The unit in which content is laid out; runs are whole chunks. */
    static final int CHUNK = 64 * 1024;
    private static final int MAX_RUN_CHUNKS = 32;

    enum Kind { ZERO, TEXT, RANDOM }

    /** How many bytes of each kind were laid out. */
    record Summary(long size, long zeroBytes, long textBytes, long randomBytes) {}

    private DemoImage() {}

    /**
     * Creates or replaces {@code path}.
     *
     * @param size bytes, a positive multiple of 512
     */
    static Summary write(Path path, long size, long seed) throws IOException {
        if (size <= 0 || size % 512 != 0) {
            throw new IllegalArgumentException("size must be a positive multiple of 512: " + size);
        }
        Files.createDirectories(path.toAbsolutePath().getParent());
        long zero = 0;
        long text = 0;
        long random = 0;
        SplittableRandom layout = new SplittableRandom(seed);
        byte[] buffer = new byte[CHUNK];
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(0);  // drop old content so that holes are real holes
            long offset = 0;
            while (offset < size) {
                Kind kind = nextKind(layout, offset);
                long runEnd = Math.min(size, offset + (long) CHUNK * (1 + layout.nextInt(MAX_RUN_CHUNKS)));
                SplittableRandom content = layout.split();
                for (; offset < runEnd; offset += CHUNK) {
                    int length = (int) Math.min(CHUNK, runEnd - offset);
                    switch (kind) {
                        case ZERO -> zero += length;
                        case TEXT -> {
                            fillText(content, buffer, length);
                            file.seek(offset);
                            file.write(buffer, 0, length);
                            text += length;
                        }
                        case RANDOM -> {
                            content.nextBytes(buffer);
                            file.seek(offset);
                            file.write(buffer, 0, length);
                            random += length;
                        }
                    }
                }
            }
            file.setLength(size);
        }
        return new Summary(size, zero, text, random);
    }

    /** The first MiB (boot sector, partition table, a file system's metadata) is always data. */
    private static Kind nextKind(SplittableRandom layout, long offset) {
        if (offset < (1 << 20)) {
            return Kind.TEXT;
        }
        int roll = layout.nextInt(100);
        return roll < 50 ? Kind.ZERO : roll < 78 ? Kind.TEXT : Kind.RANDOM;
    }

    private static final String[] WORDS = {"kernel:", "systemd[1]:", "sshd[812]:", "Started", "Stopping", "session",
        "eth0", "link", "is", "up", "mounted", "filesystem", "/var/log", "ok", "user", "root", "connection", "from",
        "10.0.0.7", "port", "22", "accepted", "publickey", "cron", "daily", "backup", "completed", "in", "ms"};

    /** Log-like lines; the end of the chunk may be left zero, as the tail of a file often is. */
    private static void fillText(SplittableRandom random, byte[] buffer, int length) {
        StringBuilder lines = new StringBuilder(length + 128);
        int used = random.nextInt(4) == 0 ? random.nextInt(length / 2, length) : length;
        while (lines.length() < used) {
            lines.append(String.format("Nov %2d %02d:%02d:%02d vm1 ", 1 + random.nextInt(30), random.nextInt(24),
                    random.nextInt(60), random.nextInt(60)));
            int words = 3 + random.nextInt(10);
            for (int w = 0; w < words; w++) {
                lines.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
            }
            lines.append('\n');
        }
        byte[] bytes = lines.toString().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, buffer, 0, used);
        java.util.Arrays.fill(buffer, used, length, (byte) 0);
    }
}
