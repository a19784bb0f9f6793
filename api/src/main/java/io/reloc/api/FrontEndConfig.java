package io.reloc.api;

import java.net.InetSocketAddress;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * How to start a front end.
 *
 * @param listen address to bind; port 0 picks a free port
 * @param options protocol-specific settings by name; a front end rejects keys it does not know
 */
public record FrontEndConfig(InetSocketAddress listen, Map<String, String> options) {
    public FrontEndConfig {
        requireNonNull(listen, "listen is null");
        options = Map.copyOf(requireNonNull(options, "options is null"));
    }

    public static FrontEndConfig of(InetSocketAddress listen) {
        return new FrontEndConfig(listen, Map.of());
    }
}
