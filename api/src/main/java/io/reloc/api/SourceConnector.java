package io.reloc.api;

import java.io.IOException;
import java.net.URI;
import java.util.List;

/**
 * Opens the remote source of a relocation from a URI whose scheme is {@link #scheme()}
 * ({@code nbd://host:port/export}, {@code file:/path}). The source is read as a read-only
 * {@link BlockDevice}: ranged reads and allocation extents.
 */
public interface SourceConnector {

    String scheme();

    /**
     * @throws IOException with a message naming the URI when the source cannot be reached or
     *     refuses the export
     */
    BlockDevice open(URI uri) throws IOException;

    /**
     * The hottest regions of the source's disk, hottest first (at most {@code limit}), when the
     * source recorded an access heat map (a Reloc server in target mode); empty when it did not or
     * does not know the request (any other server). Uses a connection of its own.
     *
     * @throws IOException when the source cannot be reached
     */
    default List<HotRegion> hotRegions(URI uri, int limit) throws IOException {
        return List.of();
    }
}
