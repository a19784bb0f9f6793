package io.reloc.api;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A block protocol server (NBD, iSCSI) serving the exports of an {@link ExportCatalog}. It knows
 * nothing about relocation: a relocating proxy is just another {@link BlockDevice}.
 *
 * <p>Lifecycle: created unstarted; {@link #start()} binds and begins accepting; {@link #close()}
 * stops accepting, lets requests in flight finish, closes every connection. Thread safe.
 */
public interface FrontEnd extends Closeable {

    /**
     * Binds the listening socket and starts serving in background threads; returns once bound.
     *
     * @throws IOException if the address cannot be bound (the message names the address)
     */
    void start() throws IOException;

    /** The bound address (with the real port when 0 was asked for); only after {@link #start()}. */
    InetSocketAddress localAddress();

    @Override
    void close() throws IOException;
}
