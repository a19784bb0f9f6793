package io.reloc.iscsi.pdu;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Negotiates the operational keys of one login as the target (RFC 7143 §6.2, §13): each key the
 * initiator offers gets an answer computed with the key's result function from the offer and the
 * target's own value. Not thread safe; one instance per login.
 *
 * <p>Target values: digests None and CRC32C both supported; InitialR2T=No (the OR result is then
 * the initiator's); ImmediateData=Yes; MaxBurstLength and FirstBurstLength from the constructor;
 * DefaultTime2Wait=2; DefaultTime2Retain=20; MaxOutstandingR2T=1; ErrorRecoveryLevel=0;
 * MaxConnections=1; DataPDUInOrder and DataSequenceInOrder Yes; no markers.
 */
public final class KeyNegotiation {
    /** Keys the login itself handles (names, session type, authentication). */
    private static final Set<String> LOGIN_KEYS = Set.of("InitiatorName", "InitiatorAlias", "TargetName",
            "TargetAlias", "SessionType", "AuthMethod", "TargetAddress", "TargetPortalGroupTag");

    private final int targetMaxBurst;
    private final int targetFirstBurst;
    private SessionParameters params;

    /**
     * @param targetMaxRecvDataSegmentLength what the target declares it receives per PDU
     * @param maxBurstLength the target's MaxBurstLength
     * @param firstBurstLength the target's FirstBurstLength
     */
    public KeyNegotiation(int targetMaxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength) {
        this.params = SessionParameters.rfcDefaults(targetMaxRecvDataSegmentLength);
        this.targetMaxBurst = maxBurstLength;
        this.targetFirstBurst = firstBurstLength;
    }

    /** Whether the login code, not this class, answers {@code key}. */
    public static boolean isLoginKey(String key) {
        return LOGIN_KEYS.contains(key) || key.startsWith("CHAP_");
    }

    /**
     * The answer to one offered operational key: a value, {@code Reject} for an invalid value,
     * {@code Irrelevant}, or {@code NotUnderstood} for a key this target does not know.
     */
    public String negotiate(String key, String value) {
        SessionParameters p = params;
        return switch (key) {
            case "HeaderDigest" -> digest(value).map(d -> {
                params = with(p, "HeaderDigest", d.equals("CRC32C") ? 1 : 0);
                return d;
            }).orElse("Reject");
            case "DataDigest" -> digest(value).map(d -> {
                params = with(p, "DataDigest", d.equals("CRC32C") ? 1 : 0);
                return d;
            }).orElse("Reject");
            case "InitialR2T" -> bool(value).map(b -> {
                boolean r = b; // OR with the target's No
                params = with(p, key, r ? 1 : 0);
                return yesNo(r);
            }).orElse("Reject");
            case "ImmediateData" -> bool(value).map(b -> {
                boolean r = b; // AND with the target's Yes
                params = with(p, key, r ? 1 : 0);
                return yesNo(r);
            }).orElse("Reject");
            case "DataPDUInOrder", "DataSequenceInOrder" -> bool(value).map(b -> {
                params = with(p, key, 1); // OR with the target's Yes
                return "Yes";
            }).orElse("Reject");
            case "MaxBurstLength" -> number(value, 512, 16777215).map(n -> {
                int r = (int) Math.min(n, targetMaxBurst);
                params = with(p, key, r);
                return Integer.toString(r);
            }).orElse("Reject");
            case "FirstBurstLength" -> number(value, 512, 16777215).map(n -> {
                int r = (int) Math.min(n, targetFirstBurst);
                params = with(p, key, r);
                return Integer.toString(r);
            }).orElse("Reject");
            case "DefaultTime2Wait" -> number(value, 0, 3600).map(n -> {
                int r = (int) Math.max(n, 2);
                params = with(p, key, r);
                return Integer.toString(r);
            }).orElse("Reject");
            case "DefaultTime2Retain" -> number(value, 0, 3600).map(n -> {
                int r = (int) Math.min(n, 20);
                params = with(p, key, r);
                return Integer.toString(r);
            }).orElse("Reject");
            case "MaxOutstandingR2T", "MaxConnections" -> number(value, 1, 65535).map(n -> {
                params = with(p, key, 1);
                return "1";
            }).orElse("Reject");
            case "ErrorRecoveryLevel" -> number(value, 0, 2).map(n -> {
                params = with(p, key, 0);
                return "0";
            }).orElse("Reject");
            case "MaxRecvDataSegmentLength" -> number(value, 512, 16777215).map(n -> {
                params = with(p, key, (int) (long) n);
                // Declarative: the answer is the target's own value.
                return Integer.toString(p.targetMaxRecvDataSegmentLength());
            }).orElse("Reject");
            case "IFMarker", "OFMarker" -> bool(value).map(b -> "No").orElse("Reject");
            case "IFMarkInt", "OFMarkInt" -> "Irrelevant";
            default -> "NotUnderstood";
        };
    }

    /** The parameters negotiated so far, FirstBurstLength capped by MaxBurstLength. */
    public SessionParameters result() {
        SessionParameters p = params;
        if (p.firstBurstLength() > p.maxBurstLength()) {
            return with(p, "FirstBurstLength", p.maxBurstLength());
        }
        return p;
    }

    private static String yesNo(boolean b) {
        return b ? "Yes" : "No";
    }

    /** The first value of the offered list this target supports. */
    private static Optional<String> digest(String offered) {
        for (String v : offered.split(",")) {
            String t = v.trim().toUpperCase(Locale.ROOT);
            if (t.equals("NONE")) {
                return Optional.of("None");
            }
            if (t.equals("CRC32C")) {
                return Optional.of("CRC32C");
            }
        }
        return Optional.empty();
    }

    private static Optional<Boolean> bool(String value) {
        return switch (value) {
            case "Yes" -> Optional.of(true);
            case "No" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /** A decimal or 0x-hex number in {@code [min, max]}. */
    static Optional<Long> number(String value, long min, long max) {
        try {
            long n = value.startsWith("0x") || value.startsWith("0X") ? Long.parseLong(value.substring(2), 16)
                    : Long.parseLong(value);
            return n < min || n > max ? Optional.empty() : Optional.of(n);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static SessionParameters with(SessionParameters p, String key, int v) {
        boolean b = v != 0;
        return new SessionParameters(
                key.equals("HeaderDigest") ? b : p.headerDigest(),
                key.equals("DataDigest") ? b : p.dataDigest(),
                key.equals("InitialR2T") ? b : p.initialR2T(),
                key.equals("ImmediateData") ? b : p.immediateData(),
                key.equals("MaxBurstLength") ? v : p.maxBurstLength(),
                key.equals("FirstBurstLength") ? v : p.firstBurstLength(),
                key.equals("DefaultTime2Wait") ? v : p.defaultTime2Wait(),
                key.equals("DefaultTime2Retain") ? v : p.defaultTime2Retain(),
                key.equals("MaxOutstandingR2T") ? v : p.maxOutstandingR2T(),
                key.equals("ErrorRecoveryLevel") ? v : p.errorRecoveryLevel(),
                key.equals("MaxConnections") ? v : p.maxConnections(),
                key.equals("DataPDUInOrder") ? b : p.dataPduInOrder(),
                key.equals("DataSequenceInOrder") ? b : p.dataSequenceInOrder(),
                key.equals("MaxRecvDataSegmentLength") ? v : p.initiatorMaxRecvDataSegmentLength(),
                p.targetMaxRecvDataSegmentLength());
    }
}
