package io.reloc.iscsi.scsi;

/**
 * SCSI sense data (SPC-4 §4.5): a sense key, an additional sense code and its qualifier, and for
 * a miscompare the INFORMATION field (offset of the first differing byte).
 *
 * @param key sense key, 0 to 15
 * @param asc additional sense code
 * @param ascq additional sense code qualifier
 * @param information the INFORMATION field; negative when not valid
 */
public record Sense(int key, int asc, int ascq, long information) {
    public static final int ILLEGAL_REQUEST_KEY = 0x5;

    public static final Sense INVALID_OPCODE = new Sense(0x5, 0x20, 0x00, -1);
    public static final Sense LBA_OUT_OF_RANGE = new Sense(0x5, 0x21, 0x00, -1);
    public static final Sense INVALID_FIELD_IN_CDB = new Sense(0x5, 0x24, 0x00, -1);
    public static final Sense INVALID_FIELD_IN_PARAMETER_LIST = new Sense(0x5, 0x26, 0x00, -1);
    public static final Sense PARAMETER_LIST_LENGTH_ERROR = new Sense(0x5, 0x1a, 0x00, -1);
    public static final Sense INVALID_FIELD_IN_INFORMATION_UNIT = new Sense(0x5, 0x0e, 0x03, -1);
    public static final Sense WRITE_PROTECTED = new Sense(0x7, 0x27, 0x00, -1);
    public static final Sense SPACE_ALLOCATION_FAILED = new Sense(0x7, 0x27, 0x07, -1);
    public static final Sense UNRECOVERED_READ_ERROR = new Sense(0x3, 0x11, 0x00, -1);
    public static final Sense WRITE_ERROR = new Sense(0x3, 0x0c, 0x00, -1);
    public static final Sense INTERNAL_TARGET_FAILURE = new Sense(0x4, 0x44, 0x00, -1);
    public static final Sense NOT_READY = new Sense(0x2, 0x04, 0x00, -1);
    public static final Sense NO_SENSE = new Sense(0x0, 0x00, 0x00, -1);

    /** A miscompare (COMPARE AND WRITE, VERIFY with BYTCHK) at byte {@code offset} of the data. */
    public static Sense miscompare(long offset) {
        return new Sense(0xe, 0x1d, 0x00, offset);
    }

    /** Fixed-format sense data, response code 0x70 (current error), 18 bytes. */
    public byte[] fixedFormat() {
        byte[] b = new byte[18];
        b[0] = (byte) (information >= 0 ? 0xf0 : 0x70);
        b[2] = (byte) (key & 0x0f);
        if (information >= 0) {
            b[3] = (byte) (information >>> 24);
            b[4] = (byte) (information >>> 16);
            b[5] = (byte) (information >>> 8);
            b[6] = (byte) information;
        }
        b[7] = 10; // additional sense length: bytes 8..17
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        return b;
    }

    @Override
    public String toString() {
        return String.format("sense %x/%02x/%02x", key, asc, ascq);
    }
}
