package io.reloc.nbd;

import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.nbd.server.NbdServer;
import io.reloc.nbd.server.NbdServerConfig;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@link NbdServer}s, under the name {@code "nbd"}. Options:
 * <ul>
 *   <li>{@code max-connections}: connections served at once, default 1024;</li>
 *   <li>{@code handshake-timeout}: seconds (decimals allowed) a client has to finish the
 *       handshake, default 30.</li>
 * </ul>
 * Thread safe and stateless.
 */
public final class NbdFrontEndFactory implements FrontEndFactory {
    public static final String MAX_CONNECTIONS = "max-connections";
    public static final String HANDSHAKE_TIMEOUT = "handshake-timeout";
    private static final List<String> KNOWN = List.of(MAX_CONNECTIONS, HANDSHAKE_TIMEOUT);

    public NbdFrontEndFactory() {}

    @Override
    public String name() {
        return "nbd";
    }

    @Override
    public FrontEnd create(FrontEndConfig config, ExportCatalog exports) {
        requireNonNull(config, "config is null");
        requireNonNull(exports, "exports is null");
        return new NbdServer(config.listen(), exports, parse(config.options()));
    }

    /** @throws IllegalArgumentException naming an unknown key or a value that does not parse */
    static NbdServerConfig parse(Map<String, String> options) {
        NbdServerConfig result = NbdServerConfig.defaults();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String value = e.getValue().trim();
            switch (e.getKey()) {
                case MAX_CONNECTIONS -> {
                    int n;
                    try {
                        n = Integer.parseInt(value);
                    } catch (NumberFormatException x) {
                        throw new IllegalArgumentException("NBD option max-connections must be a whole number: '" + value + "'");
                    }
                    if (n < 1) {
                        throw new IllegalArgumentException("NBD option max-connections must be at least 1: " + n);
                    }
                    result = result.withMaxConnections(n);
                }
                case HANDSHAKE_TIMEOUT -> result = result.withHandshakeTimeout(seconds(value));
                default -> throw new IllegalArgumentException("unknown NBD option '" + e.getKey() + "'; known options: "
                        + String.join(", ", KNOWN));
            }
        }
        return result;
    }

    private static Duration seconds(String value) {
        BigDecimal s;
        try {
            s = new BigDecimal(value);
        } catch (NumberFormatException x) {
            throw new IllegalArgumentException("NBD option handshake-timeout must be a number of seconds: '" + value + "'");
        }
        if (s.signum() <= 0) {
            throw new IllegalArgumentException("NBD option handshake-timeout must be positive: " + value);
        }
        return Duration.ofNanos(s.movePointRight(9).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue());
    }
}
