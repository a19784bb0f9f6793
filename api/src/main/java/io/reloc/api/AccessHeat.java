package io.reloc.api;

import java.util.List;

/**
 * Implemented by a {@link BlockDevice} that records where its clients read and write (a Reloc
 * server in target mode), so that a relocation can ask for the hottest regions and copy them
 * first. A front end that finds a device implementing it may hand the map to a peer.
 *
 * <p>Thread safe.
 */
public interface AccessHeat {

    /**
     * The hottest regions now, hottest first, at most {@code limit} of them; regions never used are
     * left out, so the list may be empty.
     */
    List<HotRegion> hottest(int limit);
}
