package io.reloc.cli;

import static java.util.Objects.requireNonNull;

/**
 * One front end to start: a protocol plugin name (e.g. {@code "nbd"}) and where it listens.
 * {@code reloc serve} builds a list of these so that more protocols (iSCSI) are just more entries.
 */
public record FrontEndSpec(String protocol, ListenAddress listen) {
    public FrontEndSpec {
        requireNonNull(protocol, "protocol is null");
        requireNonNull(listen, "listen is null");
    }
}
