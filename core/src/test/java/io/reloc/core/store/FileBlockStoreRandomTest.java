package io.reloc.core.store;

import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Applies a seeded random sequence of writes, trims, write-zeroes, reads, flushes and reopens to a
 * {@link FileBlockStore} and to a byte array, and checks after every step that they agree and that
 * every hole the store reports reads as zeroes in the model. Replay a failure with
 * {@code -Dreloc.seed=N}.
 */
class FileBlockStoreRandomTest {
    private static final int SIZE = (1 << 20) + 513;
    private static final int STEPS = 400;

    @TempDir
    Path dir;

    @Test
    void agreesWithAByteArrayModel() throws IOException {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("FileBlockStoreRandomTest seed: " + seed + " (replay with -Dreloc.seed=" + seed + ")");
        Random random = new Random(seed);
        Path file = dir.resolve("model.img");
        byte[] model = new byte[SIZE];
        FileBlockStore store = FileBlockStore.open(file, OptionalLong.of(SIZE), false);
        try {
            for (int step = 0; step < STEPS; step++) {
                String action = apply(random, store, model);
                if (action.equals("reopen")) {
                    store.close();
                    store = FileBlockStore.open(file, OptionalLong.empty(), false);
                    action += " (size " + store.size() + ")";
                    if (store.size() != SIZE) {
                        fail("seed " + seed + ", step " + step + ": size changed on reopen to " + store.size());
                    }
                }
                check(store, model, random, "seed " + seed + ", step " + step + " " + action);
            }
        } finally {
            store.close();
        }
    }

    private static String apply(Random random, FileBlockStore store, byte[] model) throws IOException {
        int offset = offset(random);
        int length = length(random, offset);
        switch (random.nextInt(8)) {
            case 0, 1 -> {
                byte[] data = new byte[length];
                random.nextBytes(data);
                boolean fua = random.nextInt(4) == 0;
                ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(data)
                        : ByteBuffer.allocateDirect(length).put(data).flip();
                store.write(offset, src, fua);
                System.arraycopy(data, 0, model, offset, length);
                return "write " + offset + " +" + length + (fua ? " fua" : "");
            }
            case 2 -> {
                store.trim(offset, length, random.nextBoolean());
                Arrays.fill(model, offset, offset + length, (byte) 0);
                return "trim " + offset + " +" + length;
            }
            case 3 -> {
                Set<ZeroFlag> flags = EnumSet.noneOf(ZeroFlag.class);
                for (ZeroFlag flag : ZeroFlag.values()) {
                    if (random.nextBoolean()) {
                        flags.add(flag);
                    }
                }
                store.writeZeroes(offset, length, flags);
                Arrays.fill(model, offset, offset + length, (byte) 0);
                return "writeZeroes " + offset + " +" + length + " " + flags;
            }
            case 4 -> {
                store.flush();
                return "flush";
            }
            case 5 -> {
                return "reopen";
            }
            default -> {
                return "read";
            }
        }
    }

    /** Offsets cluster on 4 KiB boundaries (where holes appear) but are often odd. */
    private static int offset(Random random) {
        int offset = random.nextBoolean() ? random.nextInt(SIZE / 4096 + 1) * 4096 : random.nextInt(SIZE);
        return Math.min(offset, SIZE);
    }

    private static int length(Random random, int offset) {
        int max = SIZE - offset;
        int length = switch (random.nextInt(3)) {
            case 0 -> random.nextInt(4097);
            case 1 -> random.nextInt(16) * 4096;
            default -> random.nextInt(256 * 1024);
        };
        return Math.min(length, max);
    }

    private static void check(FileBlockStore store, byte[] model, Random random, String context) throws IOException {
        byte[] whole = FileBlockStoreTest.read(store, 0, SIZE);
        int mismatch = Arrays.mismatch(whole, model);
        if (mismatch >= 0) {
            fail(context + ": byte " + mismatch + " reads " + whole[mismatch] + ", model has " + model[mismatch]);
        }
        int offset = random.nextInt(SIZE);
        int length = random.nextInt(SIZE - offset + 1);
        List<Extent> extents = store.extents(offset, length);
        long position = offset;
        for (Extent extent : extents) {
            if (extent.hole()) {
                for (long i = position; i < position + extent.length(); i++) {
                    if (model[(int) i] != 0) {
                        fail(context + ": extents report a hole at " + position + " +" + extent.length()
                                + " but byte " + i + " is " + model[(int) i]);
                    }
                }
            }
            position += extent.length();
        }
        assertTrue(position <= (long) offset + length, context + ": extents overrun the request");
        assertEquals(length == 0, extents.isEmpty(), context + ": extents of a non-empty range must not be empty");
    }
}
