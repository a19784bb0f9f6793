package io.reloc.iscsi.initiator;

import java.nio.ByteBuffer;

/** The CDBs the initiator sends (SBC-3, SPC-4) and the parsing of their parameter data. */
final class Cdbs {
    static final int READ_CAPACITY_16_LENGTH = 32;
    /** Descriptors asked for in one GET LBA STATUS. */
    static final int LBA_STATUS_DESCRIPTORS = 256;

    private Cdbs() {}

    static byte[] readCapacity10() {
        byte[] c = new byte[10];
        c[0] = 0x25;
        return c;
    }

    static byte[] readCapacity16() {
        byte[] c = new byte[16];
        c[0] = (byte) 0x9e;
        c[1] = 0x10;
        ByteBuffer.wrap(c).putInt(10, READ_CAPACITY_16_LENGTH);
        return c;
    }

    static byte[] read16(long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x88;
        ByteBuffer.wrap(c).putLong(2, lba).putInt(10, blocks);
        return c;
    }

    static byte[] inquiryVpd(int page, int length) {
        byte[] c = new byte[6];
        c[0] = 0x12;
        c[1] = 0x01;
        c[2] = (byte) page;
        c[3] = (byte) (length >>> 8);
        c[4] = (byte) length;
        return c;
    }

    static byte[] getLbaStatus(long lba, int allocationLength) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x9e;
        c[1] = 0x12;
        ByteBuffer.wrap(c).putLong(2, lba).putInt(10, allocationLength);
        return c;
    }

    /**
     * What READ CAPACITY reports.
     *
     * @param blocks number of logical blocks
     * @param blockSize logical block length in bytes
     * @param provisioning LBPME: the unit is thin provisioned (GET LBA STATUS is meaningful)
     * @param unmappedReadsZero LBPRZ: deallocated blocks read as zeroes
     */
    record Capacity(long blocks, int blockSize, boolean provisioning, boolean unmappedReadsZero) {
        Capacity {
            if (blockSize < 1 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("the target reports a logical block length of " + blockSize
                        + " bytes, which is not a power of two up to 64 KiB");
            }
            if (blocks < 0 || blocks > Long.MAX_VALUE / blockSize) {
                throw new IllegalArgumentException("the target reports an impossible capacity of " + blocks
                        + " blocks");
            }
        }
    }

    /** @throws IllegalArgumentException on short or impossible data */
    static Capacity parseCapacity16(byte[] d) {
        if (d.length < 12) {
            throw new IllegalArgumentException("READ CAPACITY(16) returned " + d.length + " bytes, fewer than 12");
        }
        ByteBuffer b = ByteBuffer.wrap(d);
        long last = b.getLong(0);
        boolean lbpme = d.length > 14 && (d[14] & 0x80) != 0;
        boolean lbprz = d.length > 14 && (d[14] & 0x40) != 0;
        return new Capacity(last + 1, b.getInt(8), lbpme, lbprz);
    }

    /** @throws IllegalArgumentException on short or impossible data */
    static Capacity parseCapacity10(byte[] d) {
        if (d.length < 8) {
            throw new IllegalArgumentException("READ CAPACITY(10) returned " + d.length + " bytes, fewer than 8");
        }
        ByteBuffer b = ByteBuffer.wrap(d);
        return new Capacity(Integer.toUnsignedLong(b.getInt(0)) + 1, b.getInt(4), false, false);
    }

    /** Maximum transfer length in blocks from the Block Limits VPD page, 0 if it sets none. */
    static long maxTransferBlocks(byte[] vpdB0) {
        if (vpdB0.length < 12 || (vpdB0[1] & 0xff) != 0xb0) {
            return 0;
        }
        return Integer.toUnsignedLong(ByteBuffer.wrap(vpdB0).getInt(8));
    }

    /**
     * One LBA status descriptor.
     *
     * @param lba first block
     * @param blocks number of blocks
     * @param status provisioning status: 0 mapped, 1 deallocated, 2 anchored, 3 unknown
     */
    record LbaStatus(long lba, long blocks, int status) {
        boolean mapped() {
            return status == 0 || status == 3;
        }
    }

    /** @throws IllegalArgumentException on a truncated header */
    static java.util.List<LbaStatus> parseLbaStatus(byte[] d) {
        if (d.length < 8) {
            throw new IllegalArgumentException("GET LBA STATUS returned " + d.length + " bytes, fewer than 8");
        }
        ByteBuffer b = ByteBuffer.wrap(d);
        long length = Integer.toUnsignedLong(b.getInt(0));
        long available = Math.min(d.length, length + 4);
        java.util.List<LbaStatus> out = new java.util.ArrayList<>();
        for (int at = 8; at + 16 <= available; at += 16) {
            out.add(new LbaStatus(b.getLong(at), Integer.toUnsignedLong(b.getInt(at + 8)), d[at + 12] & 0x0f));
        }
        return out;
    }
}
