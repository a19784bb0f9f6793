package io.reloc.iscsi;

import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.iscsi.target.ChapCredentials;
import io.reloc.iscsi.target.IscsiNames;
import io.reloc.iscsi.target.IscsiTarget;
import io.reloc.iscsi.target.TargetConfig;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@link IscsiTarget}s, under the name {@code "iscsi"}. Each export becomes the target
 * {@code <iqn-prefix>:<export name>} with LUN 0 (e.g. {@code iqn.2026-11.io.reloc:vm1}), unless it
 * is given an explicit IQN. Options:
 * <ul>
 *   <li>{@code iqn-prefix}: default {@value TargetConfig#DEFAULT_IQN_PREFIX};</li>
 *   <li>{@code iqn.<export name>}: the full iSCSI name of that one export, e.g.
 *       {@code iqn.vm1=iqn.2001-04.com.example:storage.vm1}; it must be a valid iSCSI name
 *       ({@link IscsiNames}), and the export is then no longer reachable as
 *       {@code <iqn-prefix>:<export name>};</li>
 *   <li>{@code chap-user}, {@code chap-secret}: initiators must authenticate with CHAP;</li>
 *   <li>{@code mutual-chap-user}, {@code mutual-chap-secret}: what the target answers to an
 *       initiator that asks it to authenticate too (mutual CHAP).</li>
 * </ul>
 * Thread safe and stateless.
 */
public final class IscsiFrontEndFactory implements FrontEndFactory {
    public static final String IQN_PREFIX = "iqn-prefix";
    public static final String CHAP_USER = "chap-user";
    public static final String CHAP_SECRET = "chap-secret";
    public static final String MUTUAL_CHAP_USER = "mutual-chap-user";
    public static final String MUTUAL_CHAP_SECRET = "mutual-chap-secret";
    /** Prefix of the per-export option that sets an explicit IQN: {@code iqn.<export name>}. */
    public static final String EXPLICIT_IQN = "iqn.";
    private static final List<String> KNOWN = List.of(IQN_PREFIX, CHAP_USER, CHAP_SECRET, MUTUAL_CHAP_USER,
            MUTUAL_CHAP_SECRET);

    public IscsiFrontEndFactory() {}

    @Override
    public String name() {
        return "iscsi";
    }

    @Override
    public FrontEnd create(FrontEndConfig config, ExportCatalog exports) {
        requireNonNull(config, "config is null");
        requireNonNull(exports, "exports is null");
        return new IscsiTarget(config.listen(), exports, parse(config.options()));
    }

    /** @throws IllegalArgumentException naming an unknown key or an incomplete CHAP pair */
    static TargetConfig parse(Map<String, String> options) {
        Map<String, String> explicit = new LinkedHashMap<>();
        Map<String, String> byIqn = new HashMap<>();
        for (Map.Entry<String, String> option : options.entrySet()) {
            String key = option.getKey();
            if (key.startsWith(EXPLICIT_IQN) && key.length() > EXPLICIT_IQN.length()) {
                String export = key.substring(EXPLICIT_IQN.length());
                String iqn = option.getValue().trim();
                try {
                    IscsiNames.check(iqn);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("iSCSI option " + key + ": " + e.getMessage(), e);
                }
                String other = byIqn.putIfAbsent(iqn.toLowerCase(Locale.ROOT), export);
                if (other != null) {
                    throw new IllegalArgumentException("exports '" + other + "' and '" + export + "' both have the IQN "
                            + iqn + ": give each export its own");
                }
                explicit.put(export, iqn);
            } else if (!KNOWN.contains(key)) {
                throw new IllegalArgumentException("unknown iSCSI option '" + key + "'; known options: "
                        + String.join(", ", KNOWN) + ", iqn.<export name>");
            }
        }
        TargetConfig c = TargetConfig.defaults();
        String prefix = options.getOrDefault(IQN_PREFIX, TargetConfig.DEFAULT_IQN_PREFIX).trim();
        if (!prefix.startsWith("iqn.") && !prefix.startsWith("eui.") && !prefix.startsWith("naa.")) {
            throw new IllegalArgumentException("iSCSI option iqn-prefix must be an iSCSI name such as "
                    + TargetConfig.DEFAULT_IQN_PREFIX + ": '" + prefix + "'");
        }
        Optional<ChapCredentials> chap = pair(options, CHAP_USER, CHAP_SECRET);
        Optional<ChapCredentials> mutual = pair(options, MUTUAL_CHAP_USER, MUTUAL_CHAP_SECRET);
        if (mutual.isPresent() && chap.isEmpty()) {
            throw new IllegalArgumentException("iSCSI options mutual-chap-user/mutual-chap-secret need chap-user "
                    + "and chap-secret too: the target only answers a challenge after the initiator has proved itself");
        }
        return c.withIqnPrefix(prefix).withChap(chap, mutual).withExplicitIqns(explicit);
    }

    private static Optional<ChapCredentials> pair(Map<String, String> options, String userKey, String secretKey) {
        String user = options.get(userKey);
        String secret = options.get(secretKey);
        if (user == null && secret == null) {
            return Optional.empty();
        }
        if (user == null || secret == null || user.isEmpty() || secret.isEmpty()) {
            throw new IllegalArgumentException("iSCSI options " + userKey + " and " + secretKey
                    + " must be given together, both non-empty");
        }
        return Optional.of(new ChapCredentials(user, secret));
    }
}
