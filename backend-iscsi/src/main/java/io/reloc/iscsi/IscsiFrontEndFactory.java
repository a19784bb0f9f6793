package io.reloc.iscsi;

import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.iscsi.target.ChapCredentials;
import io.reloc.iscsi.target.IscsiTarget;
import io.reloc.iscsi.target.TargetConfig;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@link IscsiTarget}s, under the name {@code "iscsi"}. Each export becomes the target
 * {@code <iqn-prefix>:<export name>} with LUN 0. Options:
 * <ul>
 *   <li>{@code iqn-prefix}: default {@value TargetConfig#DEFAULT_IQN_PREFIX};</li>
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
        for (String key : options.keySet()) {
            if (!KNOWN.contains(key)) {
                throw new IllegalArgumentException("unknown iSCSI option '" + key + "'; known options: "
                        + String.join(", ", KNOWN));
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
        return c.withIqnPrefix(prefix).withChap(chap, mutual);
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
