package io.reloc.core.heat;

import io.reloc.api.HotRegion;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeatMapTest {
    private static final long MIB = 1 << 20;
    private final FakeClock clock = new FakeClock();
    private final HeatMap.Config config = new HeatMap.Config(MIB, 1 << 20, Duration.ofMinutes(10));

    @Test
    void anAccessHeatsEveryRegionItTouches() {
        HeatMap map = new HeatMap(10 * MIB, config, clock);
        map.record(MIB - 1, 2); // straddles regions 0 and 1
        map.record(5 * MIB, 4096);
        assertEquals(1, map.heat(0), 1e-9);
        assertEquals(1, map.heat(1), 1e-9);
        assertEquals(0, map.heat(2), 1e-9);
        assertEquals(1, map.heat(5), 1e-9);
        map.record(20 * MIB, 10); // beyond the disk: ignored, not a failure
        map.record(9 * MIB, 5 * MIB); // runs past the end: clipped
        assertEquals(1, map.heat(9), 1e-9);
    }

    @Test
    void heatHalvesEveryHalfLife() {
        HeatMap map = new HeatMap(4 * MIB, config, clock);
        map.record(0, 1);
        map.record(0, 1);
        clock.advance(Duration.ofMinutes(10));
        assertEquals(1, map.heat(0), 1e-9);
        map.record(MIB, 1);
        clock.advance(Duration.ofMinutes(20));
        assertEquals(0.25, map.heat(0), 1e-9);
        assertEquals(0.25, map.heat(1), 1e-9);
    }

    @Test
    void recentAccessesOutweighOlderOnes() {
        HeatMap map = new HeatMap(4 * MIB, config, clock);
        for (int i = 0; i < 10; i++) {
            map.record(0, 1);
        }
        clock.advance(Duration.ofHours(2)); // 12 half-lives: 10 accesses weigh 10/4096
        map.record(2 * MIB, 1);
        List<HotRegion> hottest = map.hottest(2);
        assertEquals(2 * MIB, hottest.getFirst().offset(), hottest.toString());
        assertEquals(0, hottest.get(1).offset());
    }

    @Test
    void storedValuesAreRescaledLongBeforeTheyOverflow() {
        HeatMap map = new HeatMap(2 * MIB, new HeatMap.Config(MIB, 4, Duration.ofMillis(1)), clock);
        map.record(0, 1);
        for (int i = 0; i < 100; i++) {
            clock.advance(Duration.ofMillis(100)); // 2^100 per step without rescaling
            map.record(MIB, 1);
        }
        double heat = map.heat(1);
        assertTrue(heat >= 1 && heat < 2 && Double.isFinite(heat), "heat " + heat);
        assertEquals(0, map.heat(0), 1e-300);
    }

    @Test
    void memoryIsBoundedWhateverTheDiskSize() {
        HeatMap map = new HeatMap(1L << 50, new HeatMap.Config(MIB, 1024, Duration.ofMinutes(1)), clock); // 1 PiB
        assertTrue(map.regionCount() <= 1024, "regions " + map.regionCount());
        assertEquals(1L << 40, map.regionSize(), "regions grow by powers of two");
        map.record((1L << 50) - 1, 1);
        assertEquals(map.regionCount() - 1, map.regionOf((1L << 50) - 1));
        assertEquals(1, map.hottest(10).size());
    }

    @Test
    void hottestListsAtMostTheLimitHottestFirstAndLeavesColdRegionsOut() {
        HeatMap map = new HeatMap(100 * MIB + 5, config, clock);
        for (int r = 0; r < 100; r++) {
            for (int i = 0; i < r % 7; i++) {
                map.record(r * MIB, 1);
            }
        }
        map.record(100 * MIB, 1);
        List<HotRegion> top = map.hottest(10);
        assertEquals(10, top.size());
        for (int i = 1; i < top.size(); i++) {
            assertTrue(top.get(i - 1).heat() >= top.get(i).heat(), top.toString());
        }
        assertEquals(6, top.getFirst().heat(), 1e-9);
        assertEquals(6 * MIB, top.getFirst().offset(), "ties in disk order");
        // 85 regions below 100 with r % 7 != 0, and the last, short one.
        assertEquals(86, map.hottest(1000).size(), "regions never used are left out");
        HotRegion last = map.hottest(1000).stream().filter(h -> h.offset() == 100 * MIB).findFirst().orElseThrow();
        assertEquals(5, last.length(), "the last region is short");
    }
}
