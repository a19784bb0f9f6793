package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.StoreSpec;
import io.reloc.core.store.FileStoreFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The local disk fills up mid-relocation: clients get ENOSPC, nothing already local is damaged,
 * and once space is freed the relocation carries on to a correct end. Needs a small tmpfs, so it
 * runs only where this process may mount one (root, as in CI).
 */
class DiskFullTest {
    private static final int BLOCK = 64 * 1024;
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;
    private Path mount;
    private boolean mounted;

    @BeforeEach
    void mountSmallDisk() throws Exception {
        mount = dir.resolve("small");
        java.nio.file.Files.createDirectories(mount);
        mounted = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString()) == 0;
        assumeTrue(mounted, "cannot mount a tmpfs here (needs root); skipping the disk-full test");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("umount", "-l", mount.toString());
        }
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    @Test
    void aFullDiskGivesEnospcAndLosesNothing() throws Exception {
        byte[] content = new byte[SIZE];
        new Random(5).nextBytes(content);
        TestSource source = new TestSource(content);
        BlockDevice cache = new FileStoreFactory().open(new StoreSpec(Optional.of(mount.resolve("cache.img")), OptionalLong.of(SIZE), false));
        RelocatingDevice device = RelocatingDevice.open(cache, source, new MapFile(dir.resolve("cache.map")), BLOCK, "src", "c", true);

        int fetched = 0;
        BlockDeviceException full = null;
        for (long b = 0; b < SIZE / BLOCK && full == null; b++) {
            try {
                device.copyInBackground(b);
                fetched++;
            } catch (BlockDeviceException e) {
                full = e;
            }
        }
        assertEquals(BlockError.NO_SPACE, full == null ? null : full.error(), "a 1 MiB disk cannot hold 4 MiB");
        assertEquals(fetched, device.status().presentBlocks(), "a block that did not fit must not be marked present");

        byte[] mine = new byte[1000];
        Arrays.fill(mine, (byte) 0x42);
        device.write(100, ByteBuffer.wrap(mine), true); // block 0 is local: overwriting needs no space
        BlockDeviceException write = assertThrows(BlockDeviceException.class,
                () -> device.write(SIZE - BLOCK + 7, ByteBuffer.wrap(mine), false));
        assertEquals(BlockError.NO_SPACE, write.error());

        assertEquals(0, run("mount", "-o", "remount,size=8m", mount.toString()));
        for (long b = device.nextAbsent(0); b >= 0; b = device.nextAbsent(b)) {
            device.copyInBackground(b);
        }
        ByteBuffer all = ByteBuffer.allocate(SIZE);
        device.read(0, all);
        byte[] expected = content.clone();
        System.arraycopy(mine, 0, expected, 100, mine.length);
        assertArrayEquals(expected, all.array());
        device.close();
    }
}
