package io.reloc.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static java.util.Objects.requireNonNull;

/**
 * A {@code --listen} address: {@code HOST:PORT}, {@code [IPV6]:PORT} or {@code :PORT} (all
 * interfaces). Port 0 lets the system pick a free port.
 *
 * @param host host name or literal address as given, without brackets; empty for all interfaces
 * @param port 0 to 65535
 */
public record ListenAddress(String host, int port) {
    public ListenAddress {
        requireNonNull(host, "host is null");
        if (port < 0 || port > 65535) {
            throw new UsageException("port must be 0 to 65535: " + port);
        }
    }

    /** @throws UsageException with the expected syntax */
    public static ListenAddress parse(String value) {
        requireNonNull(value, "value is null");
        String host;
        String portText;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':') {
                throw bad(value);
            }
            host = value.substring(1, close);
            portText = value.substring(close + 2);
        } else {
            int colon = value.lastIndexOf(':');
            if (colon < 0 || value.indexOf(':') != colon) {
                throw bad(value);
            }
            host = value.substring(0, colon);
            portText = value.substring(colon + 1);
        }
        if (!portText.matches("[0-9]{1,5}")) {
            throw bad(value);
        }
        int port = Integer.parseInt(portText);
        if (port > 65535) {
            throw new UsageException("bad listen address '" + value + "': the port must be 0 to 65535");
        }
        return new ListenAddress(host, port);
    }

    private static UsageException bad(String value) {
        return new UsageException("bad listen address '" + value + "': expected HOST:PORT, [IPV6]:PORT or :PORT, e.g. 127.0.0.1:10809");
    }

    /**
     * Resolves the host.
     *
     * @throws CliException if the host name does not resolve
     */
    public InetSocketAddress toSocketAddress() {
        if (host.isEmpty()) {
            return new InetSocketAddress(port);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new CliException("cannot resolve listen host '" + host + "': check the name or use an IP address");
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
