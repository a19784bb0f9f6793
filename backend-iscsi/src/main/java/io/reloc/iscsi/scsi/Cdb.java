package io.reloc.iscsi.scsi;

/** Big-endian field access on a CDB or a parameter list; fields past the end read as zero. */
final class Cdb {
    private Cdb() {}

    static int u8(byte[] b, int at) {
        return at < b.length ? b[at] & 0xff : 0;
    }

    static int u16(byte[] b, int at) {
        return (u8(b, at) << 8) | u8(b, at + 1);
    }

    static int u24(byte[] b, int at) {
        return (u8(b, at) << 16) | u16(b, at + 1);
    }

    static long u32(byte[] b, int at) {
        return ((long) u16(b, at) << 16) | u16(b, at + 2);
    }

    static long u64(byte[] b, int at) {
        return (u32(b, at) << 32) | u32(b, at + 4);
    }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void put32(byte[] b, int at, long v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void put64(byte[] b, int at, long v) {
        put32(b, at, v >>> 32);
        put32(b, at + 4, v);
    }

    /** The CDB length its group code implies (SPC-4 §4.2.5.1), or 0 if the group is reserved. */
    static int length(int opcode) {
        return switch (opcode >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> 0;
        };
    }
}
