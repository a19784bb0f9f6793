package io.reloc.nbd.client;

import java.net.URI;

import static java.util.Objects.requireNonNull;

/**
 * An NBD source address, {@code nbd://HOST[:PORT]/EXPORT} as the NBD URI specification writes it:
 * the default port is 10809, the export name is the percent-decoded path without its leading
 * slash and may be empty.
 */
public record NbdUri(String host, int port, String exportName) {
    public static final int DEFAULT_PORT = 10809;

    public NbdUri {
        requireNonNull(host, "host is null");
        requireNonNull(exportName, "exportName is null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** @throws IllegalArgumentException with a message showing the expected form */
    public static NbdUri parse(URI uri) {
        requireNonNull(uri, "uri is null");
        String scheme = uri.getScheme();
        if (scheme == null || !scheme.equalsIgnoreCase("nbd")) {
            if (scheme != null && scheme.toLowerCase(java.util.Locale.ROOT).startsWith("nbds")) {
                throw new IllegalArgumentException("'" + uri + "' asks for TLS, which the NBD source does not support; "
                        + "use nbd://HOST[:PORT]/EXPORT on a trusted network");
            }
            throw new IllegalArgumentException("'" + uri + "' is not an NBD address; use nbd://HOST[:PORT]/EXPORT");
        }
        if (uri.isOpaque() || uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("'" + uri + "' names no host; use nbd://HOST[:PORT]/EXPORT");
        }
        if (uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("'" + uri + "' carries user information, a query or a fragment, which the "
                    + "NBD source does not support; use nbd://HOST[:PORT]/EXPORT");
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String export = path.startsWith("/") ? path.substring(1) : path;
        return new NbdUri(host, uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), export);
    }

    /** {@code host:port}, for messages. */
    public String server() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
