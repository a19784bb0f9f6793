package io.reloc.core.heat;

import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeatFileTest {
    private static final long MIB = 1 << 20;
    private final FakeClock clock = new FakeClock();
    private final HeatMap.Config config = new HeatMap.Config(MIB, 1 << 20, Duration.ofMinutes(10));

    @TempDir
    Path dir;

    private HeatMap sample() {
        HeatMap map = new HeatMap(64 * MIB, config, clock);
        for (int i = 0; i < 5; i++) {
            map.record(3 * MIB, 1);
        }
        map.record(40 * MIB, 1);
        return map;
    }

    @Test
    void aSavedMapLoadsBackDecayedByTheTimeItWasAway() throws IOException {
        HeatFile file = HeatFile.beside(dir.resolve("vm1.img"));
        assertEquals(dir.resolve("vm1.img.heat"), file.path());
        file.save(sample(), clock);
        clock.advance(Duration.ofMinutes(10));
        HeatMap loaded = new HeatMap(64 * MIB, config, clock);
        assertEquals(HeatFile.Outcome.LOADED, file.load(loaded, clock));
        assertEquals(2.5, loaded.heat(3), 1e-6);
        assertEquals(0.5, loaded.heat(40), 1e-6);
        assertEquals(0, loaded.heat(0));
        assertTrue(Files.size(file.path()) < 100, "sparse: " + Files.size(file.path()) + " bytes for 64 regions, 2 hot");
    }

    @Test
    void noFileIsAnEmptyMap() {
        HeatMap map = new HeatMap(64 * MIB, config, clock);
        assertEquals(HeatFile.Outcome.MISSING, new HeatFile(dir.resolve("none.heat")).load(map, clock));
        assertTrue(map.hottest(10).isEmpty());
    }

    @Test
    void anyDamagedByteIsRejectedAndLeavesTheMapEmpty() throws IOException {
        HeatFile file = new HeatFile(dir.resolve("d.heat"));
        file.save(sample(), clock);
        byte[] good = Files.readAllBytes(file.path());
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            Files.write(file.path(), bad);
            HeatMap map = new HeatMap(64 * MIB, config, clock);
            assertEquals(HeatFile.Outcome.REJECTED, file.load(map, clock), "byte " + i + " flipped");
            assertTrue(map.hottest(10).isEmpty(), "byte " + i + " flipped: nothing trusted");
        }
        for (int length : new int[] {0, 7, 20, good.length - 1}) {
            Files.write(file.path(), Arrays.copyOf(good, length));
            assertEquals(HeatFile.Outcome.REJECTED, file.load(new HeatMap(64 * MIB, config, clock), clock), "cut at " + length);
        }
        Files.write(file.path(), good);
        assertEquals(HeatFile.Outcome.LOADED, file.load(new HeatMap(64 * MIB, config, clock), clock));
    }

    @Test
    void aMapForAnotherDiskSizeIsRejected() throws IOException {
        HeatFile file = new HeatFile(dir.resolve("r.heat"));
        file.save(sample(), clock);
        HeatMap resized = new HeatMap(128 * MIB, config, clock);
        assertEquals(HeatFile.Outcome.REJECTED, file.load(resized, clock));
        assertTrue(resized.hottest(10).isEmpty());
    }

    @Test
    void theRecordingDeviceCountsReadsAndWritesAndKeepsTheMapAcrossRestarts() throws IOException {
        HeatFile file = HeatFile.beside(dir.resolve("disk.img"));
        MemoryBlockStore store = new MemoryBlockStore(16 * MIB);
        HeatRecordingDevice device = HeatRecordingDevice.open(store, file, config, clock, Duration.ZERO);
        device.read(2 * MIB, ByteBuffer.allocate(4096));
        device.write(2 * MIB + 8192, ByteBuffer.allocate(4096), false);
        device.writeZeroes(9 * MIB, 512, java.util.Set.of());
        byte[] back = new byte[4096];
        device.write(0, ByteBuffer.wrap(new byte[4096]), false);
        device.read(0, ByteBuffer.wrap(back));
        assertEquals(2, device.heatMap().heat(2));
        assertEquals(1, device.heatMap().heat(9));
        assertEquals(List.of(0L, 2 * MIB, 9 * MIB), device.hottest(5).stream().map(h -> h.offset()).toList(),
                "hottest first, ties in disk order");
        device.close();
        assertTrue(Files.exists(file.path()), "saved on close");

        HeatRecordingDevice again = HeatRecordingDevice.open(new MemoryBlockStore(16 * MIB), file, config, clock, Duration.ZERO);
        assertArrayEquals(new double[] {2, 0, 2}, Arrays.copyOf(again.heatMap().heats(), 3), 1e-6);
        again.close();
    }

    @Test
    void aCorruptFileGivesAnEmptyMapAndIsReplacedAtTheNextSave() throws IOException {
        HeatFile file = HeatFile.beside(dir.resolve("c.img"));
        Files.writeString(file.path(), "not a heat map at all, but long enough to have a header and more");
        HeatRecordingDevice device = HeatRecordingDevice.open(new MemoryBlockStore(4 * MIB), file, config, clock, Duration.ZERO);
        assertTrue(device.hottest(10).isEmpty());
        device.read(MIB, ByteBuffer.allocate(10));
        device.close();
        assertEquals(HeatFile.Outcome.LOADED, file.load(new HeatMap(4 * MIB, config, clock), clock));
    }
}
