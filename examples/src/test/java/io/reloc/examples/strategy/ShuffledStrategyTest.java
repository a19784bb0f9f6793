package io.reloc.examples.strategy;

import io.reloc.api.CopyOrder;
import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShuffledStrategyTest {
    @Test
    void isFoundByNameThroughServiceLoaderBesideTheBuiltIns() {
        Plugins plugins = Plugins.load();
        assertTrue(plugins.strategies().names().contains("shuffled"), plugins.strategies().names().toString());
        assertTrue(plugins.pluginNames().contains(ExamplesPlugin.class.getName()), plugins.pluginNames().toString());
        assertEquals("shuffled", plugins.strategies().get("shuffled").name());
    }

    @Test
    void visitsRegionsInAShuffledOrderAndCopiesEveryBlock() {
        long blocks = 10_000;
        List<Long> firstBlocks = copyAll(new ShuffledStrategy().create(blocks), blocks, 4);
        assertNotEquals(0L, firstBlocks.get(0), "the first region is not the disk's start");
        assertEquals(firstBlocks, copyAll(new ShuffledStrategy().create(blocks), blocks, 4), "the same order every time");
        assertNotEquals(firstBlocks, copyAll(new ShuffledStrategy(2).create(blocks), blocks, 4), "another seed, another order");
        copyAll(new ShuffledStrategy().create(1), 1, 4);
        copyAll(new ShuffledStrategy().create(0), 0, 4);
    }

    /**
     * Runs a copy order as the background copier does (the first absent block at or after the
     * order's answer, runs of up to {@code run} blocks, a new pass from 0 when nothing is absent
     * after it) until every block is present; returns the first block of each run.
     */
    private static List<Long> copyAll(CopyOrder order, long blocks, int run) {
        BitSet present = new BitSet();
        List<Long> starts = new ArrayList<>();
        long cursor = 0;
        for (int steps = 0; present.cardinality() < blocks; steps++) {
            assertTrue(steps < 10 * blocks + 10, "the order must let the copier finish");
            long from = order.next(cursor);
            assertTrue(from >= 0 && from <= blocks, "inside the disk: " + from);
            int block = present.nextClearBit((int) from);
            if (block >= blocks) {
                cursor = 0;
                continue;
            }
            starts.add((long) block);
            int end = (int) Math.min(blocks, block + run);
            int stop = present.nextSetBit(block);
            present.set(block, stop < 0 ? end : Math.min(end, stop));
            cursor = stop < 0 ? end : Math.min(end, stop);
        }
        return starts;
    }
}
