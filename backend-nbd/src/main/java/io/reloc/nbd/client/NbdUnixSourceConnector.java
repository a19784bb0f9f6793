package io.reloc.nbd.client;

/**
 * Opens {@code nbd+unix:///EXPORT?socket=PATH} sources: an NBD server on a Unix domain socket
 * (nbdkit -U, qemu-nbd -k). Stateless and thread safe.
 */
public final class NbdUnixSourceConnector extends NbdSourceConnector {
    public NbdUnixSourceConnector() {}

    @Override
    public String scheme() {
        return "nbd+unix";
    }
}
