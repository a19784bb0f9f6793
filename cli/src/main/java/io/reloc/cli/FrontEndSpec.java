package io.reloc.cli;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One front end to start: a protocol plugin name (e.g. {@code "nbd"}), where it listens, and the
 * protocol's options (e.g. iSCSI's CHAP secrets). {@code reloc serve} builds a list of these.
 */
public record FrontEndSpec(String protocol, ListenAddress listen, Map<String, String> options) {
    public FrontEndSpec {
        requireNonNull(protocol, "protocol is null");
        requireNonNull(listen, "listen is null");
        options = Map.copyOf(requireNonNull(options, "options is null"));
    }

    public FrontEndSpec(String protocol, ListenAddress listen) {
        this(protocol, listen, Map.of());
    }

    /** Secrets must not reach logs or error messages. */
    @Override
    public String toString() {
        return protocol + " on " + listen;
    }
}
