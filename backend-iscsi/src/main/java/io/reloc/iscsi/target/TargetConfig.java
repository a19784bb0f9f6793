package io.reloc.iscsi.target;

import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How an {@link IscsiTarget} names its targets and authenticates initiators.
 *
 * @param iqnPrefix each export is the target {@code iqnPrefix + ":" + exportName}
 * @param chap credentials initiators must prove (one-way CHAP); empty: no authentication
 * @param mutualChap credentials the target proves to initiators that ask (mutual CHAP)
 * @param maxRecvDataSegmentLength longest data segment accepted from initiators
 * @param maxBurstLength the target's MaxBurstLength
 * @param firstBurstLength the target's FirstBurstLength
 * @param commandWindow commands an initiator may have queued (MaxCmdSN - ExpCmdSN + 1)
 * @param explicitIqns export name to the full IQN it is served under instead of
 *     {@code iqnPrefix:exportName}
 */
public record TargetConfig(String iqnPrefix, Optional<ChapCredentials> chap, Optional<ChapCredentials> mutualChap,
        int maxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength, int commandWindow,
        Map<String, String> explicitIqns) {
    public static final String DEFAULT_IQN_PREFIX = "iqn.2026-11.io.reloc";

    public TargetConfig {
        requireNonNull(iqnPrefix, "iqnPrefix is null");
        requireNonNull(chap, "chap is null");
        requireNonNull(mutualChap, "mutualChap is null");
        explicitIqns = Map.copyOf(requireNonNull(explicitIqns, "explicitIqns is null"));
        if (mutualChap.isPresent() && chap.isEmpty()) {
            throw new IllegalArgumentException("mutual CHAP needs one-way CHAP too: set chap-user and chap-secret");
        }
        if (maxRecvDataSegmentLength < 512 || maxRecvDataSegmentLength > 16777215) {
            throw new IllegalArgumentException("MaxRecvDataSegmentLength must be in [512, 16777215]");
        }
        if (commandWindow < 1) {
            throw new IllegalArgumentException("the command window must be at least 1");
        }
    }

    public static TargetConfig defaults() {
        return new TargetConfig(DEFAULT_IQN_PREFIX, Optional.empty(), Optional.empty(), 262144, 1 << 20, 262144, 64,
                Map.of());
    }

    public TargetConfig withIqnPrefix(String prefix) {
        return new TargetConfig(prefix, chap, mutualChap, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength,
                commandWindow, explicitIqns);
    }

    public TargetConfig withChap(Optional<ChapCredentials> oneWay, Optional<ChapCredentials> mutual) {
        return new TargetConfig(iqnPrefix, oneWay, mutual, maxRecvDataSegmentLength, maxBurstLength,
                firstBurstLength, commandWindow, explicitIqns);
    }

    /** With {@code iqns} (export name to full IQN) replacing the prefixed names of those exports. */
    public TargetConfig withExplicitIqns(Map<String, String> iqns) {
        return new TargetConfig(iqnPrefix, chap, mutualChap, maxRecvDataSegmentLength, maxBurstLength,
                firstBurstLength, commandWindow, iqns);
    }

    /** The IQN of the target serving {@code exportName}. */
    public String targetName(String exportName) {
        String explicit = explicitIqns.get(exportName);
        return explicit != null ? explicit : iqnPrefix + ":" + exportName;
    }

    /** The export a target name designates, if it has this target's prefix. */
    public Optional<String> exportName(String targetName) {
        for (Map.Entry<String, String> e : explicitIqns.entrySet()) {
            // iSCSI names compare case-insensitively (RFC 3722 stringprep lowercases them).
            if (e.getValue().equalsIgnoreCase(targetName)) {
                return Optional.of(e.getKey());
            }
        }
        String p = iqnPrefix + ":";
        // IQNs compare case-insensitively in their prefix part (RFC 3722 stringprep lowercases).
        if (targetName.length() > p.length() && targetName.regionMatches(true, 0, p, 0, p.length())) {
            String name = targetName.substring(p.length());
            // An export with an explicit IQN is not also reachable under its prefixed name.
            return explicitIqns.containsKey(name) ? Optional.empty() : Optional.of(name);
        }
        return Optional.empty();
    }
}
