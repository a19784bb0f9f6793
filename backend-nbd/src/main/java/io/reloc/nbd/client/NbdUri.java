package io.reloc.nbd.client;

import io.reloc.nbd.channel.ChannelCodecs;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An NBD source address as the NBD URI specification writes it: {@code nbd://HOST[:PORT]/EXPORT}
 * (default port 10809) or {@code nbd+unix:///EXPORT?socket=PATH}. The export name is the
 * percent-decoded path without its leading slash and may be empty. One query parameter beyond
 * the specification: {@code connections=N} (1 to {@value #MAX_CONNECTIONS}) caps the connections
 * opened to a server that offers CAN_MULTI_CONN; without it the cap is
 * {@value #DEFAULT_CONNECTIONS}. And {@code codec=auto|none|NAME} picks the relocation channel's codec
 * when the server is Reloc: {@code auto} (the default) offers all the standard codecs, zstd first
 * (a server may pick per batch among them, see {@link io.reloc.nbd.channel.AdaptiveChoice}),
 * {@code none} never offers the channel, a codec name offers just that codec. Servers that are not Reloc get plain NBD anyway.
 *
 * @param host empty for a Unix socket
 * @param socket the Unix socket, if the address is one
 * @param connections most connections to open
 * @param codec {@value #CODEC_AUTO}, {@value #CODEC_NONE} or a codec name
 */
public record NbdUri(String host, int port, String exportName, Optional<Path> socket, int connections, String codec) {
    public static final String CODEC_AUTO = "auto";
    public static final String CODEC_NONE = "none";
    public static final int DEFAULT_PORT = 10809;
    public static final int DEFAULT_CONNECTIONS = 4;
    public static final int MAX_CONNECTIONS = 16;
    private static final String FORMS = "nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH";

    public NbdUri {
        requireNonNull(host, "host is null");
        requireNonNull(exportName, "exportName is null");
        requireNonNull(socket, "socket is null");
        requireNonNull(codec, "codec is null");
        if (!codec.equals(CODEC_AUTO) && !codec.equals(CODEC_NONE) && ChannelCodecs.standard().find(codec).isEmpty()) {
            throw new IllegalArgumentException("codec must be auto, none or one of " + ChannelCodecs.standard().names()
                    + ": '" + codec + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("connections must be between 1 and " + MAX_CONNECTIONS + ": " + connections);
        }
    }

    /** With the default codec choice ({@value #CODEC_AUTO}). */
    public NbdUri(String host, int port, String exportName, Optional<Path> socket, int connections) {
        this(host, port, exportName, socket, connections, CODEC_AUTO);
    }

    /** A TCP address with the default connection cap. */
    public static NbdUri tcp(String host, int port, String exportName) {
        return new NbdUri(host, port, exportName, Optional.empty(), DEFAULT_CONNECTIONS);
    }

    /** This address with another codec choice. */
    public NbdUri withCodec(String value) {
        return new NbdUri(host, port, exportName, socket, connections, value);
    }

    /** The codecs to offer for the relocation channel, in preference order; empty: do not offer it. */
    public java.util.List<String> channelOffer() {
        return switch (codec) {
            case CODEC_NONE -> java.util.List.of();
            case CODEC_AUTO -> ChannelCodecs.AUTO;
            default -> java.util.List.of(codec);
        };
    }

    /** @throws IllegalArgumentException with a message showing the expected forms */
    public static NbdUri parse(URI uri) {
        requireNonNull(uri, "uri is null");
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.startsWith("nbds")) {
            throw new IllegalArgumentException("'" + uri + "' asks for TLS, which the NBD source does not support; "
                    + "use " + FORMS + " on a trusted network");
        }
        boolean unix = scheme.equals("nbd+unix");
        if (!unix && !scheme.equals("nbd")) {
            throw new IllegalArgumentException("'" + uri + "' is not an NBD address; use " + FORMS);
        }
        if (uri.isOpaque() || uri.getUserInfo() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("'" + uri + "' is not of the form " + FORMS);
        }
        String socket = null;
        int connections = DEFAULT_CONNECTIONS;
        String codec = CODEC_AUTO;
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (key) {
                    case "socket" -> socket = value;
                    case "connections" -> connections = connections(uri, value);
                    case "codec" -> codec = value;
                    default -> throw new IllegalArgumentException("'" + uri + "' has query parameter '" + key
                            + "', which the NBD source does not know; it knows socket (nbd+unix), connections and codec");
                }
            }
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String export = path.startsWith("/") ? path.substring(1) : path;
        if (unix) {
            if (uri.getHost() != null || uri.getRawAuthority() != null) {
                throw new IllegalArgumentException("'" + uri + "' names a host; a Unix socket address is nbd+unix:///EXPORT?socket=PATH");
            }
            if (socket == null || socket.isEmpty()) {
                throw new IllegalArgumentException("'" + uri + "' names no socket; add ?socket=PATH");
            }
            return new NbdUri("", DEFAULT_PORT, export, Optional.of(Path.of(socket)), connections, codec);
        }
        if (socket != null) {
            throw new IllegalArgumentException("'" + uri + "' names a socket; use nbd+unix:///EXPORT?socket=PATH");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("'" + uri + "' names no host; use " + FORMS);
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new NbdUri(host, uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), export, Optional.empty(), connections,
                codec);
    }

    private static int connections(URI uri, String value) {
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= MAX_CONNECTIONS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + uri + "': connections must be a whole number from 1 to " + MAX_CONNECTIONS
                + ", not '" + value + "'");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** {@code host:port} or {@code unix:PATH}, for messages. */
    public String server() {
        if (socket.isPresent()) {
            return "unix:" + socket.get();
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
