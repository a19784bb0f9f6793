package io.reloc.cli;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** The URIs clients use to reach an export, e.g. {@code nbd://127.0.0.1:10809/vm1}. */
final class ClientUris {
    private ClientUris() {}

    /**
     * @param bound the address a front end is bound to; a wildcard address is shown as
     *     {@code localhost}, since clients cannot connect to 0.0.0.0
     */
    static String of(String protocol, InetSocketAddress bound, String exportName) {
        String host;
        if (bound.getAddress() == null) {
            host = bound.getHostString();
        } else if (bound.getAddress().isAnyLocalAddress()) {
            host = "localhost";
        } else if (bound.getAddress() instanceof Inet6Address) {
            String literal = bound.getAddress().getHostAddress();
            int zone = literal.indexOf('%');
            host = "[" + (zone < 0 ? literal : literal.substring(0, zone)) + "]";
        } else {
            host = bound.getAddress().getHostAddress();
        }
        // Export names are restricted (ExportSpec) to characters that need no escaping in a URI path.
        return protocol + "://" + host + ":" + bound.getPort() + "/" + exportName;
    }
}
