package io.reloc.iscsi.initiator;

import io.reloc.api.BlockError;

/**
 * Decoded SCSI sense data (SPC-4 §4.5), fixed (0x70/0x71) or descriptor (0x72/0x73) format.
 *
 * @param key the sense key, 0 to 15
 * @param asc additional sense code
 * @param ascq additional sense code qualifier
 */
record Sense(int key, int asc, int ascq) {
    static final int ILLEGAL_REQUEST = 0x5;
    static final int UNIT_ATTENTION = 0x6;

    private static final String[] KEYS = {"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR",
        "HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT", "BLANK CHECK", "VENDOR SPECIFIC",
        "COPY ABORTED", "ABORTED COMMAND", "RESERVED", "VOLUME OVERFLOW", "MISCOMPARE", "COMPLETED"};

    /** Sense data too short to decode: reported as key 0 with no code. */
    static final Sense NONE = new Sense(0, 0, 0);

    static Sense parse(byte[] s) {
        if (s.length < 2) {
            return NONE;
        }
        int code = s[0] & 0x7f;
        if ((code == 0x72 || code == 0x73) && s.length >= 4) {
            return new Sense(s[1] & 0x0f, s[2] & 0xff, s[3] & 0xff);
        }
        if ((code == 0x70 || code == 0x71) && s.length >= 3) {
            int asc = s.length > 12 ? s[12] & 0xff : 0;
            int ascq = s.length > 13 ? s[13] & 0xff : 0;
            return new Sense(s[2] & 0x0f, asc, ascq);
        }
        return NONE;
    }

    boolean invalidOpcode() {
        return key == ILLEGAL_REQUEST && asc == 0x20;
    }

    boolean invalidFieldInCdb() {
        return key == ILLEGAL_REQUEST && asc == 0x24;
    }

    /**
     * A unit attention (reset, parameters changed) reports an event, not a problem with the
     * command: targets such as tgt answer the first command of every session with one.
     */
    boolean unitAttention() {
        return key == UNIT_ATTENTION;
    }

    boolean lbaOutOfRange() {
        return key == ILLEGAL_REQUEST && asc == 0x21;
    }

    /** A request the target found malformed is the caller's fault; everything else is IO. */
    BlockError error() {
        return key == ILLEGAL_REQUEST ? BlockError.INVALID : BlockError.IO;
    }

    @Override
    public String toString() {
        return String.format("sense key %s (0x%x), ASC/ASCQ 0x%02x/0x%02x%s", KEYS[key], key, asc, ascq, meaning());
    }

    private String meaning() {
        String m = switch (asc) {
            case 0x20 -> "invalid command operation code";
            case 0x21 -> "logical block address out of range";
            case 0x24 -> "invalid field in CDB";
            case 0x25 -> "logical unit not supported";
            case 0x04 -> "logical unit not ready";
            case 0x11 -> "unrecovered read error";
            case 0x29 -> "power on or reset occurred";
            case 0x2a -> "parameters changed";
            case 0x3a -> "medium not present";
            case 0x27 -> "write protected";
            default -> null;
        };
        return m == null ? "" : " (" + m + ")";
    }
}
