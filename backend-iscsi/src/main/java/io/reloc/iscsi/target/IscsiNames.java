package io.reloc.iscsi.target;

import java.util.regex.Pattern;

/**
 * Checks iSCSI names (RFC 7143 §4.2.7): {@code iqn.YYYY-MM.reversed.domain[:anything]},
 * {@code eui.} with 16 hex digits or {@code naa.} with 16 or 32, at most 223 bytes, of letters,
 * digits, '.', '-' and ':' only. Stateless.
 */
public final class IscsiNames {
    public static final int MAX_LENGTH = 223;
    private static final String LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.[0-9]{4}-(0[1-9]|1[0-2])\\." + LABEL + "(\\." + LABEL + ")*(:[a-z0-9.:-]+)?",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9a-f]{16}", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAA = Pattern.compile("naa\\.([0-9a-f]{16}|[0-9a-f]{32})", Pattern.CASE_INSENSITIVE);

    private IscsiNames() {}

    public static boolean isValid(String name) {
        return name.length() <= MAX_LENGTH
                && (IQN.matcher(name).matches() || EUI.matcher(name).matches() || NAA.matcher(name).matches());
    }

    /**
     * @return {@code name}
     * @throws IllegalArgumentException showing the expected forms
     */
    public static String check(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("'" + name + "' is not an iSCSI name: use iqn.YYYY-MM.reversed.domain"
                    + "[:unique-part] (e.g. iqn.2026-11.com.example:vm1) with letters, digits, '.', '-' and ':' only, "
                    + "or eui. and 16 hex digits, at most " + MAX_LENGTH + " characters");
        }
        return name;
    }
}
