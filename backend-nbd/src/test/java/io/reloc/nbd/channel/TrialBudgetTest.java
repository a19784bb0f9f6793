package io.reloc.nbd.channel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrialBudgetTest {
    private static final long MS = 1_000_000L;

    @Test
    void aLongTrialIsPaidBackAtTheShareBeforeTheNextOne() {
        AtomicLong now = new AtomicLong();
        TrialBudget budget = new TrialBudget(now::get, 0.05, 200 * MS);
        assertTrue(budget.tryStart(100 * MS), "a fresh server may try at once");
        budget.finished(100 * MS, 300 * MS); // it took 300 ms: 100 ms beyond the burst
        assertFalse(budget.tryStart(0));
        now.addAndGet(1_999 * MS); // 5% of 1999 ms: 99.95 ms repaid
        assertFalse(budget.tryStart(0));
        now.addAndGet(2 * MS);
        assertTrue(budget.tryStart(0), "after 2 s at 5%, the 100 ms are repaid");
    }

    @Test
    void idleTimeBuysAtMostTheBurst() {
        AtomicLong now = new AtomicLong();
        TrialBudget budget = new TrialBudget(now::get, 0.05, 200 * MS);
        now.addAndGet(3_600_000 * MS); // an hour idle
        assertTrue(budget.tryStart(200 * MS));
        assertFalse(budget.tryStart(0), "an hour idle buys 200 ms, not three minutes");
        now.addAndGet(20 * MS);
        assertTrue(budget.tryStart(0));
    }

    @Test
    void cheapTrialsRunFreely() {
        AtomicLong now = new AtomicLong();
        TrialBudget budget = new TrialBudget(now::get, 0.05, 200 * MS);
        for (int i = 0; i < 1000; i++) {
            assertTrue(budget.tryStart(MS / 2), "trial " + i); // zstd on 128 KiB: half a millisecond
            budget.finished(MS / 2, MS / 2);
            now.addAndGet(10 * MS);
        }
    }

    /** Connections probing at once cannot queue many slow trials against one full bucket. */
    @Test
    void expectedTimeIsTakenOutWhenATrialIsQueued() {
        AtomicLong now = new AtomicLong();
        TrialBudget budget = new TrialBudget(now::get, 0.02, 20 * MS);
        assertTrue(budget.tryStart(100 * MS), "xz on a sample: 100 ms expected");
        for (int connection = 0; connection < 7; connection++) {
            assertFalse(budget.tryStart(100 * MS), "connection " + connection + " must wait");
        }
        budget.finished(100 * MS, 60 * MS); // faster than expected: 40 ms back
        now.addAndGet(2_100 * MS); // the 40 ms left repaid at 2%, and a little more
        assertTrue(budget.tryStart(100 * MS));
    }

    @Test
    void refusesAShareOrBurstOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> new TrialBudget(System::nanoTime, 0, MS));
        assertThrows(IllegalArgumentException.class, () -> new TrialBudget(System::nanoTime, 1.5, MS));
        assertThrows(IllegalArgumentException.class, () -> new TrialBudget(System::nanoTime, 0.05, 0));
    }
}
