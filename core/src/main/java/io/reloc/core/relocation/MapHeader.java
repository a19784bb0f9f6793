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
 */
public record MapHeader(BlockGeometry geometry, String sourceIdentity, String cacheId, RelocationState state,
                        ActivationTrigger trigger) {
    public MapHeader {
        requireNonNull(geometry, "geometry is null");
        requireNonNull(sourceIdentity, "sourceIdentity is null");
        requireNonNull(cacheId, "cacheId is null");
        requireNonNull(state, "state is null");
        requireNonNull(trigger, "trigger is null");
    }

    public MapHeader with(RelocationState newState, ActivationTrigger newTrigger) {
        return new MapHeader(geometry, sourceIdentity, cacheId, newState, newTrigger);
    }
}
