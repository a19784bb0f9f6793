package io.reloc.nbd;

import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.nbd.channel.ChannelCodecs;
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
 *       handshake, default 30;</li>
 *   <li>{@code reloc-channel}: {@code adaptive} (default: on, and each batch goes out with the
 *       codec of the client's offer, or none, that moves it fastest on the link the client
 *       measures, see {@link io.reloc.nbd.channel.AdaptiveChoice}), {@code on} (always the
 *       client's preferred codec) or {@code off}; whether Reloc clients may negotiate the
 *       compressed relocation channel (other clients never see it).</li>
 * </ul>
 * Thread safe and stateless.
 */
public final class NbdFrontEndFactory implements FrontEndFactory {
    public static final String MAX_CONNECTIONS = "max-connections";
    public static final String HANDSHAKE_TIMEOUT = "handshake-timeout";
    public static final String RELOC_CHANNEL = "reloc-channel";
    private static final List<String> KNOWN = List.of(MAX_CONNECTIONS, HANDSHAKE_TIMEOUT, RELOC_CHANNEL);

    public NbdFrontEndFactory() {}

    @Override
    public String name() {
        return "nbd";
    }

    @Override
    public FrontEnd create(FrontEndConfig config, ExportCatalog exports) {
        requireNonNull(config, "config is null");
        requireNonNull(exports, "exports is null");
        Map<String, String> options = config.options();
        String channel = options.getOrDefault(RELOC_CHANNEL, "adaptive").trim();
        ChannelCodecs codecs = switch (channel) {
            case "on" -> ChannelCodecs.standard();
            case "off" -> ChannelCodecs.none();
            case "adaptive" -> ChannelCodecs.standard().withAdaptiveChoice();
            default -> throw new IllegalArgumentException("NBD option reloc-channel must be on, off or adaptive: '"
                    + channel + "'");
        };
        return new NbdServer(config.listen(), exports, parse(options), codecs);
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
                case RELOC_CHANNEL -> { } // chooses the codec table, not the config; see create()
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
