package io.reloc.nbd.channel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The client's measure of how fast RELOC_READ replies arrive, on a fake clock. */
class LinkMeterTest {
    private static final long MS = 1_000_000;
    private final AtomicLong now = new AtomicLong(1_000 * MS);
    private final LinkMeter meter = new LinkMeter(now::get);

    /**
     * {@code requests} pipelined requests of {@code chunks} chunks of {@code chunkBytes}, a chunk
     * every {@code gapMs}; returns the last rate due, or 0.
     */
    private long pipelined(int requests, int chunks, long chunkBytes, long gapMs) {
        long due = 0;
        for (int r = 0; r < requests; r++) {
            meter.started();
        }
        for (int r = 0; r < requests; r++) {
            for (int c = 0; c < chunks; c++) {
                now.addAndGet(gapMs * MS);
                meter.arrived(chunkBytes);
            }
            long rate = meter.ended();
            due = rate > 0 ? rate : due;
        }
        return due;
    }

    @Test
    void measuresTheRateChunksArriveAtWhileRequestsAreOutstanding() {
        // 1 MB every 80 ms: 12.5 MB/s, a 100 Mbit/s link.
        assertEquals(12_500_000, pipelined(20, 4, 250_000, 20), 1);
    }

    @Test
    void theWaitForTheFirstChunkAfterAnIdleSpellDoesNotCount() {
        // One request at a time, each waiting a 50 ms round trip for its first chunk.
        long due = 0;
        for (int r = 0; r < 40; r++) {
            now.addAndGet(50 * MS);
            long rate = pipelined(1, 5, 100_000, 10);
            due = rate > 0 ? rate : due;
        }
        assertEquals(10_000_000, due, 1, "100 kB per 10 ms, round trips aside");
    }

    @Test
    void reportsOnlyAfterAWindowAndOnlyMaterialChanges() {
        assertEquals(0, pipelined(2, 4, 250_000, 20), "160 ms is too short to say");
        long first = pipelined(20, 4, 250_000, 20);
        assertEquals(12_500_000, first, 1);
        assertEquals(0, pipelined(20, 4, 260_000, 20), "4% faster is not worth telling");
        // A slowdown shows once the faster windows left the filter: a slower window alone may be
        // a sender with less to send.
        assertEquals(0, pipelined(8, 4, 100_000, 20), "one slower window");
        assertEquals(5_000_000, pipelined(40, 4, 100_000, 20), 1);
    }
}
