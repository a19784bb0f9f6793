package io.reloc.strategy.hotspot;

import io.reloc.api.BlockRange;
import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.api.HotRegion;
import io.reloc.core.heat.HeatMap;
import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HotFirstOrderTest {
    private static final int MIB = 1 << 20;
    private static final int BLOCK = 64 << 10;
    private static final HeatMap.Config LEARNING = new HeatMap.Config(MIB, 1 << 20, Duration.ofMinutes(2));
    private static final InstantSource CLOCK = InstantSource.fixed(Instant.EPOCH);

    @Test
    void theSourcesHotRegionsComeFirstHottestFirstThenTheDiskInOrder() {
        CopyOrder order = new HotFirstOrder(1000, BLOCK, List.of(new HotRegion(10L * MIB, MIB, 9),
                new HotRegion(2L * MIB, MIB, 3)), LEARNING, CLOCK);
        assertEquals(Optional.of(new BlockRange(160, 16)), order.urgent());
        assertEquals(Optional.of(new BlockRange(32, 16)), order.urgent());
        assertEquals(Optional.empty(), order.urgent());
        assertEquals(7, order.next(7), "then linear");
    }

    @Test
    void atSwitchOverTheSourcesLatestListReplacesTheFirst() {
        CopyOrder order = new HotFirstOrder(1000, BLOCK, List.of(new HotRegion(10L * MIB, MIB, 9), new HotRegion(3L * MIB, MIB, 2)),
                () -> List.of(new HotRegion(2L * MIB, MIB, 8), new HotRegion(5L * MIB, MIB, 4)), Runnable::run, LEARNING, CLOCK);
        assertEquals(Optional.of(new BlockRange(160, 16)), order.urgent(), "before switch-over, the list asked at start");
        order.activated();
        assertEquals(Optional.of(new BlockRange(32, 16)), order.urgent(), "then the latest list, hottest first");
        assertEquals(Optional.of(new BlockRange(80, 16)), order.urgent());
        assertEquals(Optional.empty(), order.urgent(), "what the latest list dropped is not copied early");
    }

    @Test
    void anEmptyLatestListKeepsTheFirst() {
        CopyOrder order = new HotFirstOrder(1000, BLOCK, List.of(new HotRegion(10L * MIB, MIB, 9)), List::of, Runnable::run,
                LEARNING, CLOCK);
        order.activated();
        assertEquals(Optional.of(new BlockRange(160, 16)), order.urgent(), "a source that could not answer loses nothing");
    }

    @Test
    void theLatestListIsAskedOffTheCallersThread() throws InterruptedException {
        var asked = new java.util.concurrent.CountDownLatch(1);
        var answer = new java.util.concurrent.CountDownLatch(1);
        var strategy = new HotspotStrategy();
        CopyOrder order = strategy.create(new CopyContext(1000, BLOCK, new java.util.function.Supplier<>() {
            int calls;

            @Override
            public List<HotRegion> get() {
                if (calls++ == 0) {
                    return List.of(new HotRegion(MIB, MIB, 1));
                }
                asked.countDown();
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of(new HotRegion(7L * MIB, MIB, 1));
            }
        }));
        order.activated(); // returns while the source has not answered
        assertTrue(asked.await(10, java.util.concurrent.TimeUnit.SECONDS), "the source is asked again at switch-over");
        assertEquals(Optional.of(new BlockRange(16, 16)), order.urgent(), "the copier goes on with the first list meanwhile");
        answer.countDown();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        Optional<BlockRange> next = order.urgent();
        while (next.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
            next = order.urgent();
        }
        assertEquals(Optional.of(new BlockRange(112, 16)), next, "then the latest");
    }

    @Test
    void regionsOutsideTheDiskAreClipped() {
        CopyOrder order = new HotFirstOrder(20, BLOCK, List.of(new HotRegion(MIB, MIB, 1), new HotRegion(50L * MIB, MIB, 1)),
                LEARNING, CLOCK);
        assertEquals(Optional.of(new BlockRange(16, 4)), order.urgent(), "the disk ends at block 20");
        assertEquals(Optional.empty(), order.urgent(), "a region beyond the disk is dropped");
    }

    @Test
    void aRegionClientsTouchTwiceIsLearnedOnceAndGoesBeforeTheSourcesList() {
        CopyOrder order = new HotFirstOrder(1000, BLOCK, List.of(new HotRegion(0, MIB, 5)), LEARNING, CLOCK);
        order.onAccess(100, 1, false, 0);
        order.onAccess(500, 1, true, 0);
        assertEquals(Optional.of(new BlockRange(0, 16)), order.urgent(), "one touch is not enough");
        order.onAccess(101, 1, false, 0);
        order.onAccess(102, 1, false, 0);
        assertEquals(Optional.of(new BlockRange(96, 16)), order.urgent(), "block 100 lies in region 6: blocks 96..111");
        assertEquals(Optional.empty(), order.urgent(), "queued once");
    }

    @Test
    void learnedHeatCoolsDown() {
        var clock = new java.util.concurrent.atomic.AtomicLong();
        InstantSource moving = () -> Instant.ofEpochMilli(clock.get());
        CopyOrder order = new HotFirstOrder(1000, BLOCK, List.of(), LEARNING, moving);
        order.onAccess(100, 1, false, 0);
        clock.addAndGet(Duration.ofMinutes(20).toMillis());
        order.onAccess(100, 1, false, 0);
        assertEquals(Optional.empty(), order.urgent(), "a touch twenty minutes ago has all but faded");
        clock.addAndGet(Duration.ofMinutes(1).toMillis());
        order.onAccess(300, 1, false, 0);
        clock.addAndGet(Duration.ofMinutes(1).toMillis());
        order.onAccess(301, 1, false, 0);
        assertEquals(Optional.of(new BlockRange(288, 16)), order.urgent(), "two touches a minute apart make a region hot");
    }

    @Test
    void bothStrategiesLoadThroughServiceLoader() {
        Plugins plugins = Plugins.load();
        CopyContext context = new CopyContext(1000, BLOCK, () -> List.of(new HotRegion(MIB, MIB, 1)));
        assertEquals(Optional.of(new BlockRange(16, 16)), plugins.strategies().get("hotspot").create(context).urgent());
        CopyOrder both = plugins.strategies().get("hotspot+readahead").create(context);
        both.onAccess(500, 1, false, 0);
        both.onAccess(501, 1, false, 0);
        BlockRange first = both.urgent().orElseThrow();
        assertEquals(502, first.first(), "read-ahead before hot regions: " + first);
        assertEquals(Optional.of(new BlockRange(496, 16)), both.urgent(), "then the region the reader touched twice");
        assertEquals(Optional.of(new BlockRange(16, 16)), both.urgent(), "then the source's");
        assertTrue(plugins.strategies().find("linear").isPresent(), "the prefetch module's are there too");
    }
}
