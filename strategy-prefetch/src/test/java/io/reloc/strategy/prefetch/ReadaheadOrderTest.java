package io.reloc.strategy.prefetch;

import io.reloc.api.BlockRange;
import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadaheadOrderTest {
    @Test
    void loadsThroughServiceLoaderAndReadsAheadOfASequentialReader() {
        CopyOrder order = Plugins.load().strategies().get("readahead").create(CopyContext.of(10_000, 64 << 10));
        assertEquals(Optional.empty(), order.urgent());
        assertEquals(42, order.next(42), "linear otherwise");
        order.onAccess(500, 1, false, 0);
        order.onAccess(501, 1, false, 0);
        Optional<BlockRange> urgent = order.urgent();
        assertTrue(urgent.isPresent() && urgent.get().first() == 502, "ahead of the reader: " + urgent);
        assertEquals(Optional.empty(), order.urgent(), "handed out once");
    }

    @Test
    void writesAreNotFollowed() {
        CopyOrder order = new ReadaheadStrategy().create(CopyContext.of(10_000, 64 << 10));
        for (long b = 0; b < 50; b++) {
            order.onAccess(b, 1, true, 0);
        }
        assertEquals(Optional.empty(), order.urgent());
    }

    @Test
    void theQueueIsBoundedAndTheNewestRangeComesFirst() {
        CopyOrder order = new ReadaheadStrategy().create(CopyContext.of(100_000_000, 64 << 10));
        // Many short streams, far apart: each confirmed stream queues its first window.
        for (long s = 0; s < 200; s++) {
            order.onAccess(s * 100_000, 1, false, 0);
            order.onAccess(s * 100_000 + 1, 1, false, 0);
        }
        BlockRange first = order.urgent().orElseThrow();
        assertEquals(199 * 100_000 + 2, first.first(), "the newest stream's read-ahead first");
        int left = 0;
        while (order.urgent().isPresent()) {
            left++;
        }
        assertEquals(ReadaheadOrder.QUEUE_LIMIT - 1, left);
    }
}
