package io.reloc.core.relocation;

import static java.util.Objects.requireNonNull;

/**
 * What a map file says besides its bits: which disk it belongs to and how far relocation got.
 *
 * @param geometry size and block size of the relocated disk
 * @param sourceIdentity identifies the source export (a map is never reused for another source)
 * @param cacheId identifies the cache file the bits describe (a map is never reused for another)
 * @param state the relocation's state when the map was written
 * @param trigger what activated it
 * @param trackingSession in {@link RelocationState#PRECOPY}: the source's write-tracking session
 *     the bits are valid against; 0 otherwise
 * @param trackingRound in {@link RelocationState#PRECOPY}: the last round of that session whose
 *     dirty blocks were cleared from the bits; 0 otherwise
 */
public record MapHeader(BlockGeometry geometry, String sourceIdentity, String cacheId, RelocationState state,
                        ActivationTrigger trigger, long trackingSession, int trackingRound) {
    public MapHeader {
        requireNonNull(geometry, "geometry is null");
        requireNonNull(sourceIdentity, "sourceIdentity is null");
        requireNonNull(cacheId, "cacheId is null");
        requireNonNull(state, "state is null");
        requireNonNull(trigger, "trigger is null");
        if (trackingRound < 0) {
            throw new IllegalArgumentException("tracking round must not be negative: " + trackingRound);
        }
    }

    /** A header without a tracking session. */
    public MapHeader(BlockGeometry geometry, String sourceIdentity, String cacheId, RelocationState state,
                     ActivationTrigger trigger) {
        this(geometry, sourceIdentity, cacheId, state, trigger, 0, 0);
    }

    /** Another state; the tracking session is kept only in {@link RelocationState#PRECOPY}. */
    public MapHeader with(RelocationState newState, ActivationTrigger newTrigger) {
        boolean keep = newState == RelocationState.PRECOPY;
        return new MapHeader(geometry, sourceIdentity, cacheId, newState, newTrigger, keep ? trackingSession : 0,
                keep ? trackingRound : 0);
    }

    /** The same state, against tracking session {@code session} as of round {@code round}. */
    public MapHeader tracking(long session, int round) {
        return new MapHeader(geometry, sourceIdentity, cacheId, state, trigger, session, round);
    }
}
