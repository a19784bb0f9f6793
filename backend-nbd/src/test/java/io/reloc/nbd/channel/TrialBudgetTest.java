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
        assertTrue(budget.allows(), "a fresh server may try at once");
        budget.spent(300 * MS); // 100 ms beyond the burst
        assertFalse(budget.allows());
        now.addAndGet(1_999 * MS); // 5% of 1999 ms: 99.95 ms repaid
        assertFalse(budget.allows());
        now.addAndGet(2 * MS);
        assertTrue(budget.allows(), "after 2 s at 5%, the 100 ms are repaid");
    }

    @Test
    void idleTimeBuysAtMostTheBurst() {
        AtomicLong now = new AtomicLong();
        TrialBudget budget = new TrialBudget(now::get, 0.05, 200 * MS);
        now.addAndGet(3_600_000 * MS); // an hour idle
        budget.spent(200 * MS);
        assertFalse(budget.allows(), "an hour idle buys 200 ms, not three minutes");
        now.addAndGet(20 * MS);
        assertTrue(budget.allows());
    }

    @Test
    void cheapTrialsRunFreely() {
        AtomicLong now = new AtomicLong();
        TrialBudget budget = new TrialBudget(now::get, 0.05, 200 * MS);
        for (int i = 0; i < 1000; i++) {
            assertTrue(budget.allows(), "trial " + i);
            budget.spent(MS / 2); // zstd on 128 KiB: half a millisecond
            now.addAndGet(10 * MS);
        }
    }

    @Test
    void refusesAShareOrBurstOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> new TrialBudget(System::nanoTime, 0, MS));
        assertThrows(IllegalArgumentException.class, () -> new TrialBudget(System::nanoTime, 1.5, MS));
        assertThrows(IllegalArgumentException.class, () -> new TrialBudget(System::nanoTime, 0.05, 0));
    }
}
