package io.reloc.core.relocation;

import org.junit.jupiter.api.Test;

import java.util.function.IntToLongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The window settles at the smallest size that fills the link, and follows the link when it changes. */
class AdaptiveWindowTest {
    private long now;

    /** Runs periods of 400 ms in which the link moves {@code bytesPerPeriod(limit)}. */
    private void run(AdaptiveWindow window, int periods, IntToLongFunction bytesPerPeriod) throws InterruptedException {
        for (int i = 0; i < periods; i++) {
            now += 400_000_000L;
            window.acquire();
            window.release(bytesPerPeriod.applyAsLong(window.limit()));
        }
    }

    @Test
    void stopsAtTheSmallestWindowThatFillsTheLink() throws InterruptedException {
        AdaptiveWindow window = new AdaptiveWindow(() -> now);
        run(window, 30, limit -> Math.min(limit, 8) * 1_000_000L); // the link is full with 8 in flight
        assertEquals(8, window.limit());
    }

    @Test
    void climbsAgainWhenTheLinkChanges() throws InterruptedException {
        AdaptiveWindow window = new AdaptiveWindow(() -> now);
        run(window, 30, limit -> Math.min(limit, 2) * 1_000_000L);
        assertEquals(2, window.limit());
        // The link got much slower per fetch (say the RTT grew): throughput collapses, climb again.
        run(window, 40, limit -> Math.min(limit, 16) * 100_000L);
        assertEquals(16, window.limit());
    }
}
