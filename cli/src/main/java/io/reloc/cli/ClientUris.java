package io.reloc.cli;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** The URIs clients use to reach an export, e.g. {@code nbd://127.0.0.1:10809/vm1}. */
final class ClientUris {
    /** Front-end option naming an export's explicit IQN: {@code iqn.NAME}. */
    static final String EXPLICIT_IQN = io.reloc.iscsi.IscsiFrontEndFactory.EXPLICIT_IQN;

    private ClientUris() {}

    /**
     * The URI for an export through a started front end: {@code nbd://host:port/name}, or
     * {@code iscsi://host:port/<iqn-prefix>:name/0} (LUN 0), or with the export's explicit IQN
     * when it has one, as qemu and libiscsi spell them.
     */
    static String of(ExportServer.Bound bound, String exportName) {
        if (bound.protocol().equals("iscsi")) {
            String iqn = bound.options().get(EXPLICIT_IQN + exportName);
            if (iqn == null) {
                String prefix = bound.options().getOrDefault("iqn-prefix", io.reloc.iscsi.target.TargetConfig.DEFAULT_IQN_PREFIX);
                iqn = prefix + ":" + exportName;
            }
            return "iscsi://" + hostPort(bound.address()) + "/" + iqn + "/0";
        }
        return of(bound.protocol(), bound.address(), exportName);
    }

    /** {@code protocol://host:port/name}, with {@link #hostPort} of the bound address. */
    static String of(String protocol, InetSocketAddress bound, String exportName) {
        // Export names are restricted (ExportSpec) to characters that need no escaping in a URI path.
        return protocol + "://" + hostPort(bound) + "/" + exportName;
    }

    /**
     * {@code 127.0.0.1:10809}, {@code [::1]:10809}; a wildcard address is shown as
     * {@code localhost}, since clients cannot connect to 0.0.0.0.
     */
    static String hostPort(InetSocketAddress address) {
        String host;
        if (address.getAddress() == null) {
            host = address.getHostString();
        } else if (address.getAddress().isAnyLocalAddress()) {
            host = "localhost";
        } else if (address.getAddress() instanceof Inet6Address v6) {
            host = "[" + compress(v6.getHostAddress()) + "]";
        } else {
            host = address.getAddress().getHostAddress();
        }
        return host + ":" + address.getPort();
    }

    /** Shortens the longest run of zero groups to {@code ::} and drops a zone (RFC 5952 style). */
    static String compress(String v6) {
        int zone = v6.indexOf('%');
        String[] groups = (zone < 0 ? v6 : v6.substring(0, zone)).split(":");
        int bestStart = -1;
        int bestLength = 1;  // a single zero group stays as it is
        for (int i = 0; i < groups.length; ) {
            int j = i;
            while (j < groups.length && groups[j].matches("0+")) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < groups.length; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(groups[i].replaceFirst("^0+(?=.)", ""));
        }
        return sb.toString();
    }
}
