package io.reloc.iscsi.pdu;

import java.util.Arrays;
import java.util.HexFormat;

import static java.util.Objects.requireNonNull;

/**
 * One iSCSI PDU: the 48-byte basic header segment, additional header segments and the data
 * segment, without padding or digests (those belong to the wire, see {@link PduCodec}).
 *
 * <p>Mutable on purpose: responses are built by setting header fields one by one. Not thread
 * safe; a PDU belongs to the one thread that reads or builds it. The arrays are owned by the PDU.
 */
public final class Pdu {
    public static final int BHS_LENGTH = 48;
    /** The "no task" tag, used for unsolicited PDUs and in NOP pings. */
    public static final int RESERVED_TAG = 0xffffffff;

    private final byte[] bhs;
    private byte[] ahs;
    private byte[] data;

    private Pdu(byte[] bhs, byte[] ahs, byte[] data) {
        this.bhs = bhs;
        this.ahs = ahs;
        this.data = data;
    }

    /** A PDU read from the wire; {@code bhs} must be 48 bytes and is taken over. */
    public static Pdu of(byte[] bhs, byte[] ahs, byte[] data) {
        requireNonNull(bhs, "bhs is null");
        if (bhs.length != BHS_LENGTH) {
            throw new IllegalArgumentException("a basic header segment is 48 bytes, not " + bhs.length);
        }
        return new Pdu(bhs, requireNonNull(ahs, "ahs is null"), requireNonNull(data, "data is null"));
    }

    /** A new PDU of {@code opcode} with a zeroed header and no data. */
    public static Pdu create(int opcode) {
        Pdu p = new Pdu(new byte[BHS_LENGTH], new byte[0], new byte[0]);
        p.bhs[0] = (byte) (opcode & 0x3f);
        return p;
    }

    public int opcode() {
        return bhs[0] & 0x3f;
    }

    /** The I bit: an immediate request, which does not advance CmdSN. */
    public boolean immediate() {
        return (bhs[0] & 0x40) != 0;
    }

    /** The F (final) bit, byte 1 bit 7, common to most PDUs. */
    public boolean isFinal() {
        return (bhs[1] & 0x80) != 0;
    }

    public int flags() {
        return bhs[1] & 0xff;
    }

    public Pdu flags(int flags) {
        bhs[1] = (byte) flags;
        return this;
    }

    public int byteAt(int index) {
        return bhs[index] & 0xff;
    }

    public Pdu byteAt(int index, int value) {
        bhs[index] = (byte) value;
        return this;
    }

    public int intAt(int offset) {
        return ((bhs[offset] & 0xff) << 24) | ((bhs[offset + 1] & 0xff) << 16) | ((bhs[offset + 2] & 0xff) << 8)
                | (bhs[offset + 3] & 0xff);
    }

    public Pdu intAt(int offset, int value) {
        bhs[offset] = (byte) (value >>> 24);
        bhs[offset + 1] = (byte) (value >>> 16);
        bhs[offset + 2] = (byte) (value >>> 8);
        bhs[offset + 3] = (byte) value;
        return this;
    }

    public int shortAt(int offset) {
        return ((bhs[offset] & 0xff) << 8) | (bhs[offset + 1] & 0xff);
    }

    public Pdu shortAt(int offset, int value) {
        bhs[offset] = (byte) (value >>> 8);
        bhs[offset + 1] = (byte) value;
        return this;
    }

    public long longAt(int offset) {
        return ((long) intAt(offset) << 32) | (intAt(offset + 4) & 0xffffffffL);
    }

    public Pdu longAt(int offset, long value) {
        intAt(offset, (int) (value >>> 32));
        return intAt(offset + 4, (int) value);
    }

    /** Copies {@code length} header bytes starting at {@code offset}. */
    public byte[] bytes(int offset, int length) {
        return Arrays.copyOfRange(bhs, offset, offset + length);
    }

    public Pdu bytes(int offset, byte[] value) {
        System.arraycopy(value, 0, bhs, offset, value.length);
        return this;
    }

    /** TotalAHSLength in bytes (the header holds it in 4-byte words). */
    public int ahsLength() {
        return byteAt(4) * 4;
    }

    /** DataSegmentLength as the header states it. */
    public int dataSegmentLength() {
        return ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
    }

    public long lun() {
        return longAt(8);
    }

    public int itt() {
        return intAt(16);
    }

    public Pdu itt(int itt) {
        return intAt(16, itt);
    }

    /** The basic header segment itself (not a copy): the wire encoder and Reject PDUs use it. */
    public byte[] bhs() {
        return bhs;
    }

    public byte[] ahs() {
        return ahs;
    }

    public byte[] data() {
        return data;
    }

    /** Sets the data segment and DataSegmentLength; the array is taken over. */
    public Pdu data(byte[] data) {
        requireNonNull(data, "data is null");
        if (data.length > 0xffffff) {
            throw new IllegalArgumentException("a data segment holds at most 16 MiB - 1 bytes: " + data.length);
        }
        this.data = data;
        bhs[5] = (byte) (data.length >>> 16);
        bhs[6] = (byte) (data.length >>> 8);
        bhs[7] = (byte) data.length;
        return this;
    }

    @Override
    public String toString() {
        return String.format("Pdu[opcode=0x%02x, itt=0x%08x, data=%d, bhs=%s]", opcode(), itt(), data.length,
                HexFormat.of().formatHex(bhs));
    }
}
