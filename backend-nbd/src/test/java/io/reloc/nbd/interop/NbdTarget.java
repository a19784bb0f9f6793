package io.reloc.nbd.interop;

import io.reloc.api.BlockSizes;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * An NBD server under test, serving file-backed exports on 127.0.0.1. The interop tests run the
 * same client checks against Reloc and against a reference server, so a check that fails only on
 * Reloc points at Reloc and not at the check.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close}. Not thread safe.
 */
interface NbdTarget extends AutoCloseable {

    /** Starts serving {@code exports}; returns once clients can connect. */
    void start(List<TargetExport> exports) throws IOException;

    /** The TCP port the server listens on; only after {@link #start}. */
    int port();

    /** The block sizes the server is expected to advertise, if this server advertises them. */
    Optional<BlockSizes> expectedBlockSizes();

    /** Stops the server and releases the exports' files. Idempotent. */
    @Override
    void close() throws IOException;

    default String uri(String export) {
        return "nbd://127.0.0.1:" + port() + "/" + export;
    }

    /** The URI of the server without an export name, as listing clients want it. */
    default String serverUri() {
        return "nbd://127.0.0.1:" + port();
    }
}
