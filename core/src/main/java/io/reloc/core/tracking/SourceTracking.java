package io.reloc.core.tracking;

import java.io.IOException;
import java.util.Optional;

/**
 * What a relocation source offers for hybrid pre-copy: it records the blocks written to it after
 * a session starts and says which, round after round. A source device that implements this
 * interface may still be unable to track (a foreign server behind a generic connector): then
 * {@link #startTracking} throws {@link TrackingUnavailableException}.
 *
 * <p>The contract that makes pre-copy correct: a write that completed before {@link #dirtySince}
 * was called is in its answer or in an earlier, acknowledged one. Thread safe.
 */
public interface SourceTracking {

    /**
     * Starts a session: from now on every write is recorded, per block of {@code granularity}
     * bytes.
     *
     * @return the session's id, to name it in later calls (also after a restart of the asker)
     * @throws TrackingUnavailableException when this source cannot track writes
     */
    long startTracking(int granularity) throws IOException;

    /**
     * The blocks written since the answer of round {@code acknowledgedRound} (0: since the session
     * started). Passing round {@code n} tells the source that the asker has durably applied that
     * answer, so the source may forget it; an asker that crashed before applying an answer passes
     * the round before it again and gets those blocks once more.
     *
     * @return empty when the source no longer knows the session (it restarted, or dropped the
     *     session): every block may have changed since it started
     */
    Optional<DirtyBlocks> dirtySince(long session, int acknowledgedRound) throws IOException;

    /** Ends a session; does nothing if the source does not know it. */
    void endTracking(long session) throws IOException;
}
