package io.reloc.iscsi.scsi;

import java.io.ByteArrayOutputStream;
import java.util.Optional;

import static io.reloc.iscsi.scsi.Cdb.u16;
import static io.reloc.iscsi.scsi.Cdb.u32;
import static io.reloc.iscsi.scsi.Cdb.u8;

/** REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35) over {@link Opcodes#ALL}. */
final class SupportedOpcodes {
    /** Nominal and recommended timeouts reported with RCTD, in seconds. */
    private static final int TIMEOUT = 30;

    private SupportedOpcodes() {}

    static byte[] report(byte[] cdb) throws ScsiException {
        boolean rctd = (u8(cdb, 2) & 0x80) != 0;
        int options = u8(cdb, 2) & 0x07;
        int opcode = u8(cdb, 3);
        int serviceAction = u16(cdb, 4);
        long alloc = u32(cdb, 6);
        byte[] result = switch (options) {
            case 0 -> all(rctd);
            case 1 -> {
                if (Opcodes.hasServiceActions(opcode)) {
                    throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
                }
                yield one(Opcodes.find(opcode, -1), rctd);
            }
            case 2 -> {
                if (!Opcodes.hasServiceActions(opcode)) {
                    throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
                }
                yield one(Opcodes.find(opcode, serviceAction), rctd);
            }
            case 3 -> one(Opcodes.hasServiceActions(opcode) ? Opcodes.find(opcode, serviceAction)
                    : Opcodes.find(opcode, -1).filter(c -> serviceAction == 0), rctd);
            default -> throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        };
        return LogicalUnit.truncate(result, alloc);
    }

    private static byte[] all(boolean rctd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[4]);
        for (Opcodes.Command c : Opcodes.ALL) {
            byte[] d = new byte[8];
            d[0] = (byte) c.opcode();
            if (c.serviceAction() >= 0) {
                Cdb.put16(d, 2, c.serviceAction());
                d[5] = 0x01; // SERVACTV
            }
            if (rctd) {
                d[5] |= 0x02; // CTDP
            }
            Cdb.put16(d, 6, c.cdbLength());
            out.writeBytes(d);
            if (rctd) {
                out.writeBytes(timeouts());
            }
        }
        byte[] b = out.toByteArray();
        Cdb.put32(b, 0, b.length - 4);
        return b;
    }

    private static byte[] one(Optional<Opcodes.Command> command, boolean rctd) {
        if (command.isEmpty()) {
            byte[] b = new byte[4];
            b[1] = 0x01; // not supported
            return b;
        }
        byte[] usage = command.get().usage();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] header = new byte[4];
        header[1] = (byte) ((rctd ? 0x80 : 0) | 0x03); // CTDP, supported as the standard says
        Cdb.put16(header, 2, usage.length);
        out.writeBytes(header);
        out.writeBytes(usage);
        if (rctd) {
            out.writeBytes(timeouts());
        }
        return out.toByteArray();
    }

    private static byte[] timeouts() {
        byte[] t = new byte[12];
        Cdb.put16(t, 0, 0x0a);
        Cdb.put32(t, 4, TIMEOUT);
        Cdb.put32(t, 8, TIMEOUT);
        return t;
    }
}
