package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.SourceConnector;

import java.io.IOException;
import java.net.URI;

/**
 * Opens {@code nbd://HOST[:PORT]/EXPORT} sources (default port 10809) as read-only
 * {@link NbdSourceDevice}s. Works with any fixed-newstyle NBD server (reloc, nbdkit, qemu-nbd).
 * Accepts {@code nbd+unix:///EXPORT?socket=PATH} too, though it is bound under {@code "nbd"}
 * only; {@link NbdUnixSourceConnector} serves that scheme. Stateless and thread safe.
 */
public class NbdSourceConnector implements SourceConnector {
    public NbdSourceConnector() {}

    @Override
    public String scheme() {
        return "nbd";
    }

    @Override
    public final BlockDevice open(URI uri) throws IOException {
        NbdUri address;
        try {
            address = NbdUri.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            return NbdSourceDevice.open(address);
        } catch (IOException e) {
            throw new IOException("cannot open NBD source " + uri + ": " + e.getMessage(), e);
        }
    }
}
