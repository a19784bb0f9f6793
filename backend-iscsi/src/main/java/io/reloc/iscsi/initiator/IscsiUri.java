package io.reloc.iscsi.initiator;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A parsed {@code iscsi://[user%secret@]HOST[:PORT]/IQN/LUN}, libiscsi's URL form (default port
 * 3260). User and secret, when given, are the CHAP credentials the initiator proves. As
 * {@link URI} rejects a bare {@code %}, the separator may be written {@code %25} (or {@code :}).
 *
 * @param host the portal's host name or address (IPv6 without brackets)
 * @param port the portal's TCP port
 * @param targetName the target's iSCSI name
 * @param lun the logical unit number, 0 to 16383
 * @param chapUser CHAP user name, empty for no authentication
 * @param chapSecret CHAP secret, present exactly when {@code chapUser} is
 */
public record IscsiUri(String host, int port, String targetName, int lun, Optional<String> chapUser,
        Optional<String> chapSecret) {
    public static final int DEFAULT_PORT = 3260;

    public IscsiUri {
        requireNonNull(host, "host is null");
        requireNonNull(targetName, "targetName is null");
        requireNonNull(chapUser, "chapUser is null");
        requireNonNull(chapSecret, "chapSecret is null");
        if (chapUser.isPresent() != chapSecret.isPresent()) {
            throw new IllegalArgumentException("CHAP user and secret go together");
        }
    }

    /**
     * @throws IllegalArgumentException telling the expected form when {@code uri} does not have it
     */
    public static IscsiUri parse(URI uri) {
        requireNonNull(uri, "uri is null");
        String form = " (expected iscsi://[user%secret@]HOST[:PORT]/IQN/LUN)";
        if (!"iscsi".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not an iscsi:// URI: " + uri + form);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("iSCSI URI without a host: " + uri + form);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
        String path = uri.getRawPath();
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("iSCSI URI without a target name: " + uri + form);
        }
        String[] parts = path.substring(1).split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("iSCSI URI path must be /IQN/LUN: " + uri + form);
        }
        String iqn = decode(parts[0]);
        int lun;
        try {
            lun = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("iSCSI LUN must be a number: '" + parts[1] + "' in " + uri + form, e);
        }
        if (lun < 0 || lun > 16383) {
            throw new IllegalArgumentException("iSCSI LUN must be in [0, 16383]: " + lun + " in " + uri);
        }
        Optional<String> user = Optional.empty();
        Optional<String> secret = Optional.empty();
        String info = uri.getUserInfo();
        if (info != null) {
            // libiscsi writes user%secret; in a java.net.URI that '%' must be escaped as %25, and
            // the decoded form has it back. user:secret is accepted as well.
            int sep = info.indexOf('%');
            if (sep < 0) {
                sep = info.indexOf(':');
            }
            if (sep <= 0 || sep == info.length() - 1) {
                throw new IllegalArgumentException("iSCSI URI credentials must be user%secret (write the '%' as %25 "
                        + "where a URI is parsed strictly): " + uri.getHost() + form);
            }
            user = Optional.of(info.substring(0, sep));
            secret = Optional.of(info.substring(sep + 1));
        }
        return new IscsiUri(host, port, iqn, lun, user, secret);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** {@code host:port}, for messages. */
    public String portal() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        // Never print the secret.
        return "iscsi://" + chapUser.map(u -> u + "%***@").orElse("") + portal() + "/" + targetName + "/" + lun;
    }
}
