package io.reloc.api;

import java.io.IOException;
import java.net.URI;

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
}
