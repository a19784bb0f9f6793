package io.reloc.iscsi.scsi;

import java.io.ByteArrayOutputStream;

import static io.reloc.iscsi.scsi.Cdb.u16;
import static io.reloc.iscsi.scsi.Cdb.u8;

/**
 * MODE SENSE(6) and (10) data: the Caching (0x08), Control (0x0A) and Informational Exceptions
 * (0x1C) pages, with a block descriptor unless DBD is set. Nothing is changeable (no MODE SELECT),
 * so the changeable values are all zero and default equals current.
 */
final class ModePages {
    private static final int CACHING = 0x08;
    private static final int CONTROL = 0x0a;
    private static final int INFORMATIONAL_EXCEPTIONS = 0x1c;
    private static final int ALL = 0x3f;

    private ModePages() {}

    static byte[] modeSense(byte[] cdb, boolean ten, long blocks, int blockSize, boolean readOnly)
            throws ScsiException {
        boolean dbd = (u8(cdb, 1) & 0x08) != 0;
        boolean llbaa = ten && (u8(cdb, 1) & 0x10) != 0;
        int pc = u8(cdb, 2) >> 6;
        int page = u8(cdb, 2) & 0x3f;
        int subpage = u8(cdb, 3);
        int alloc = ten ? u16(cdb, 7) : u8(cdb, 4);
        if (pc == 3) {
            throw new ScsiException(new Sense(0x5, 0x39, 0x00, -1)); // saving parameters not supported
        }
        if (subpage != 0 && !(page == ALL && subpage == 0xff)) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        boolean changeable = pc == 1;
        ByteArrayOutputStream pages = new ByteArrayOutputStream();
        switch (page) {
            case CACHING -> pages.writeBytes(caching(changeable));
            case CONTROL -> pages.writeBytes(control(changeable));
            case INFORMATIONAL_EXCEPTIONS -> pages.writeBytes(informationalExceptions());
            case ALL -> {
                pages.writeBytes(caching(changeable));
                pages.writeBytes(control(changeable));
                pages.writeBytes(informationalExceptions());
            }
            default -> throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        byte[] descriptor = dbd ? new byte[0] : llbaa ? new byte[16] : new byte[8];
        if (descriptor.length == 8) {
            Cdb.put32(descriptor, 0, Math.min(blocks, 0xffffffffL));
            Cdb.put32(descriptor, 4, blockSize);
        } else if (descriptor.length == 16) {
            Cdb.put64(descriptor, 0, blocks);
            Cdb.put32(descriptor, 12, blockSize);
        }
        int header = ten ? 8 : 4;
        byte[] body = pages.toByteArray();
        byte[] b = new byte[header + descriptor.length + body.length];
        int deviceSpecific = (readOnly ? 0x80 : 0) | 0x10; // WP, DPOFUA
        if (ten) {
            Cdb.put16(b, 0, b.length - 2);
            b[3] = (byte) deviceSpecific;
            b[4] = (byte) (llbaa && !dbd ? 1 : 0);
            Cdb.put16(b, 6, descriptor.length);
        } else {
            b[0] = (byte) Math.min(255, b.length - 1);
            b[2] = (byte) deviceSpecific;
            b[3] = (byte) descriptor.length;
        }
        System.arraycopy(descriptor, 0, b, header, descriptor.length);
        System.arraycopy(body, 0, b, header + descriptor.length, body.length);
        return LogicalUnit.truncate(b, alloc);
    }

    private static byte[] caching(boolean changeable) {
        byte[] p = new byte[20];
        p[0] = CACHING;
        p[1] = 0x12;
        if (!changeable) {
            p[2] = 0x04; // WCE: writes may be cached until SYNCHRONIZE CACHE
        }
        return p;
    }

    private static byte[] control(boolean changeable) {
        byte[] p = new byte[12];
        p[0] = CONTROL;
        p[1] = 0x0a;
        if (!changeable) {
            p[3] = 0x10; // unrestricted reordering allowed
            p[8] = (byte) 0xff; // busy timeout: unlimited
            p[9] = (byte) 0xff;
        }
        return p;
    }

    private static byte[] informationalExceptions() {
        byte[] p = new byte[12];
        p[0] = INFORMATIONAL_EXCEPTIONS;
        p[1] = 0x0a;
        return p;
    }
}
