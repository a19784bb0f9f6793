package io.reloc.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Copies an image, leaving 64 KiB chunks of zeroes as holes, so that every run of an experiment
 * starts from the same disk (runs write to it) without writing the whole disk each time.
 */
final class SparseCopy {
    private static final int CHUNK = 64 * 1024;

    private SparseCopy() {}

    /** Replaces {@code to} with a copy of {@code from}. */
    static void copy(Path from, Path to) throws IOException {
        Files.deleteIfExists(to);
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
        byte[] chunk = new byte[CHUNK];
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = in.size();
            for (long offset = 0; offset < size; offset += CHUNK) {
                buffer.clear().limit((int) Math.min(CHUNK, size - offset));
                while (buffer.hasRemaining() && in.read(buffer, offset + buffer.position()) >= 0) {
                    // until the chunk is full
                }
                buffer.flip();
                int length = buffer.remaining();
                buffer.get(chunk, 0, length).flip();
                if (!allZero(chunk, length)) {
                    while (buffer.hasRemaining()) {
                        out.write(buffer, offset + buffer.position());
                    }
                }
            }
            // A trailing hole: extend to the full size without writing it.
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1);
            }
        }
    }

    private static boolean allZero(byte[] chunk, int length) {
        for (int i = 0; i < length; i++) {
            if (chunk[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
