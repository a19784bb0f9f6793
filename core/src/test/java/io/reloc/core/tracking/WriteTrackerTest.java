package io.reloc.core.tracking;

import org.junit.jupiter.api.Test;

import java.util.BitSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The source's side of hybrid pre-copy: rounds, acknowledgements, and forgetting. */
class WriteTrackerTest {
    private static final int BLOCK = 4096;

    private static BitSet blocks(int... indexes) {
        BitSet set = new BitSet();
        for (int i : indexes) {
            set.set(i);
        }
        return set;
    }

    @Test
    void writesAreReportedPerBlockRoundAfterRound() {
        WriteTracker tracker = new WriteTracker(100L * BLOCK + 10); // a short last block
        long session = tracker.start(BLOCK);
        tracker.record(BLOCK - 1, 2);            // blocks 0 and 1
        tracker.record(63L * BLOCK, BLOCK + 1);  // 63, 64: across a word of the bitmap
        tracker.record(100L * BLOCK, 10);        // the short last block
        DirtyBlocks first = tracker.dirty(session, 0).orElseThrow();
        assertEquals(1, first.round());
        assertEquals(blocks(0, 1, 63, 64, 100), first.blocks());

        DirtyBlocks quiet = tracker.dirty(session, 1).orElseThrow();
        assertEquals(2, quiet.round());
        assertTrue(quiet.blocks().isEmpty(), "acknowledged blocks are not repeated");
    }

    @Test
    void anUnacknowledgedAnswerIsRepeatedWithWhatCameSince() {
        WriteTracker tracker = new WriteTracker(10L * BLOCK);
        long session = tracker.start(BLOCK);
        tracker.record(0, 1);
        assertEquals(blocks(0), tracker.dirty(session, 0).orElseThrow().blocks());
        tracker.record(5L * BLOCK, 1);
        // The asker crashed before applying round 1: it acknowledges round 0 again.
        DirtyBlocks again = tracker.dirty(session, 0).orElseThrow();
        assertEquals(2, again.round());
        assertEquals(blocks(0, 5), again.blocks());
    }

    @Test
    void anImpossibleAcknowledgementDropsTheSession() {
        WriteTracker tracker = new WriteTracker(10L * BLOCK);
        long session = tracker.start(BLOCK);
        assertTrue(tracker.dirty(session, 7).isEmpty());
        assertTrue(tracker.dirty(session, 0).isEmpty(), "the session is gone");
        assertTrue(tracker.dirty(12345, 0).isEmpty(), "an unknown session is reported as such");
    }

    @Test
    void theLeastRecentlyUsedSessionMakesRoom() {
        WriteTracker tracker = new WriteTracker(10L * BLOCK);
        long oldest = tracker.start(BLOCK);
        for (int i = 1; i < WriteTracker.MAX_SESSIONS; i++) {
            tracker.start(BLOCK);
        }
        tracker.start(BLOCK);
        assertEquals(WriteTracker.MAX_SESSIONS, tracker.sessions());
        assertTrue(tracker.dirty(oldest, 0).isEmpty());
    }

    @Test
    void endedSessionsRecordNothing() {
        WriteTracker tracker = new WriteTracker(10L * BLOCK);
        long session = tracker.start(BLOCK);
        assertTrue(tracker.end(session));
        tracker.record(0, BLOCK);
        assertEquals(0, tracker.sessions());
    }

    @Test
    void badGranularitiesAreRefused() {
        WriteTracker tracker = new WriteTracker(10L * BLOCK);
        assertThrows(IllegalArgumentException.class, () -> tracker.start(1000));
        assertThrows(IllegalArgumentException.class, () -> tracker.start(256));
    }
}
