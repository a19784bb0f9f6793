package io.reloc.strategy.prefetch;

import io.reloc.api.BlockRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequentialStreamsTest {
    private static final WindowPolicy POLICY = new WindowPolicy(2, 64);

    @Test
    void aSecondSequentialReadConfirmsAStreamAndReadsAheadOfIt() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 10_000);
        assertEquals(Optional.empty(), streams.read(100, 1, 0), "one read is no stream yet");
        assertEquals(Optional.of(new BlockRange(102, 4)), streams.read(101, 1, 0), "initial window 4 ahead of block 101");
    }

    @Test
    void theWindowGrowsAsTheReaderUsesTheReadAheadUpToTheMaximum() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 1_000_000);
        List<BlockRange> ahead = new ArrayList<>();
        for (long b = 0; b < 2000; b++) {
            streams.read(b, 1, 0).ifPresent(ahead::add);
        }
        assertTrue(ahead.size() > 3, "several windows: " + ahead);
        for (int i = 1; i < ahead.size(); i++) {
            assertEquals(ahead.get(i - 1).end(), ahead.get(i).first(), "each window follows the last: " + ahead);
            assertTrue(ahead.get(i).count() >= ahead.get(i - 1).count() || i == ahead.size() - 1,
                    "windows never shrink while the reader goes on: " + ahead);
        }
        assertEquals(64, streams.streams().getFirst().window(), "the maximum is reached and kept");
        long lastRead = 1999;
        assertTrue(ahead.getLast().end() > lastRead + 1, "the read-ahead stays ahead of the reader");
    }

    @Test
    void aSkipPastTheReadAheadHalvesTheWindow() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 1_000_000);
        for (long b = 0; b < 200; b++) {
            streams.read(b, 1, 0);
        }
        SequentialStreams.StreamState before = streams.streams().getFirst();
        assertEquals(64, before.window());
        streams.read(before.aheadEnd() + 10, 1, 0);
        assertEquals(1, streams.streams().size(), "still one stream, following the reader");
        assertEquals(32, streams.streams().getFirst().window(), "halved by the miss");
    }

    @Test
    void randomReadsStartNoStreamAndWearDownAStreamNoLongerFollowed() {
        long seed = System.nanoTime();
        System.out.println("seed " + seed);
        Random random = new Random(seed);
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 1L << 40);
        for (long b = 0; b < 10; b++) {
            streams.read(b, 1, 0);
        }
        int window = streams.streams().getLast().window();
        assertTrue(window > 0);
        int readAheads = 0;
        for (int i = 0; i < 2000; i++) {
            if (streams.read(random.nextLong(1L << 20, 1L << 40), 1, 0).isPresent()) {
                readAheads++;
            }
        }
        assertEquals(0, readAheads, "random reads never read ahead (seed " + seed + ")");
        assertTrue(streams.streams().stream().noneMatch(s -> s.window() > 0),
                "the old stream shrank away (seed " + seed + "): " + streams.streams());
    }

    @Test
    void interleavedStreamsAreFollowedApart() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 1_000_000);
        List<BlockRange> ahead = new ArrayList<>();
        long[] starts = {0, 100_000, 500_000};
        for (int step = 0; step < 100; step++) {
            for (long start : starts) {
                streams.read(start + step, 1, 0).ifPresent(ahead::add);
            }
        }
        for (long start : starts) {
            assertTrue(ahead.stream().anyMatch(r -> r.first() > start + 50 && r.first() < start + 1000),
                    "stream at " + start + " read ahead: " + ahead);
        }
        assertEquals(3, streams.streams().stream().filter(s -> s.window() > 0).count(), streams.streams().toString());
    }

    @Test
    void clientsAreToldApartWhenKnown() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 10_000);
        streams.read(100, 1, 1);
        assertFalse(streams.read(101, 1, 2).isPresent(), "another client's read does not continue client 1's stream");
        assertTrue(streams.read(101, 1, 1).isPresent(), "client 1's does");
    }

    @Test
    void readsInFlightOutOfOrderStillCount() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 10_000);
        streams.read(0, 8, 0);
        assertTrue(streams.read(16, 8, 0).isPresent(), "one read ahead of the expected one confirms the stream");
        streams.read(8, 8, 0);
        assertEquals(1, streams.streams().size(), "the late read joined the stream: " + streams.streams());
    }

    @Test
    void theReadAheadStopsAtTheEndOfTheDisk() {
        SequentialStreams streams = new SequentialStreams(POLICY, 4, 100);
        streams.read(97, 1, 0);
        assertEquals(Optional.of(new BlockRange(99, 1)), streams.read(98, 1, 0));
        assertEquals(Optional.empty(), streams.read(99, 1, 0));
    }
}
