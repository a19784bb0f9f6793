package io.reloc.iscsi.initiator;

import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.TextParameters;

import java.util.List;

/**
 * Builds the PDUs an initiator sends and reads the fields of those it receives (RFC 7143 §11).
 * Offsets are those of the basic header segment. Stateless.
 */
final class InitiatorPdus {
    /** Login stages (CSG/NSG). */
    static final int SECURITY = 0;
    static final int OPERATIONAL = 1;
    static final int FULL_FEATURE = 3;

    /** SCSI status codes (SAM-5). */
    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;

    private InitiatorPdus() {}

    /** A Login Request; {@code isid} is 6 bytes. */
    static Pdu login(byte[] isid, int itt, int cmdSn, int expStatSn, boolean transit, int csg, int nsg,
            List<TextParameters.Pair> keys) {
        Pdu p = Pdu.create(Opcode.LOGIN).byteAt(0, 0x40 | Opcode.LOGIN);
        p.flags((transit ? 0x80 : 0) | (csg << 2) | (transit ? nsg : 0));
        p.bytes(8, isid);
        p.itt(itt);
        p.intAt(24, cmdSn);
        p.intAt(28, expStatSn);
        return p.data(TextParameters.encode(keys));
    }

    /** Status class and detail of a Login Response, as 0xCCDD. */
    static int loginStatus(Pdu response) {
        return response.shortAt(36);
    }

    static boolean loginTransit(Pdu response) {
        return (response.flags() & 0x80) != 0;
    }

    static int loginNextStage(Pdu response) {
        return response.flags() & 0x03;
    }

    /**
     * A SCSI Command reading {@code expectedLength} bytes, simple task attribute.
     *
     * @param cdb at most 16 bytes
     */
    static Pdu readCommand(long lunField, int itt, int cmdSn, int expStatSn, byte[] cdb, int expectedLength) {
        if (cdb.length > 16) {
            throw new IllegalArgumentException("CDB longer than 16 bytes needs an AHS: " + cdb.length);
        }
        Pdu p = Pdu.create(Opcode.SCSI_COMMAND);
        p.flags(0x80 | (expectedLength > 0 ? 0x40 : 0) | 0x01);
        p.longAt(8, lunField);
        p.itt(itt);
        p.intAt(20, expectedLength);
        p.intAt(24, cmdSn);
        p.intAt(28, expStatSn);
        p.bytes(32, cdb);
        return p;
    }

    /** The NOP-Out answering a NOP-In that asked for one (immediate, ITT 0xffffffff). */
    static Pdu nopOutReply(Pdu nopIn, int cmdSn, int expStatSn) {
        Pdu p = Pdu.create(Opcode.NOP_OUT).byteAt(0, 0x40 | Opcode.NOP_OUT);
        p.flags(0x80);
        p.longAt(8, nopIn.lun());
        p.itt(Pdu.RESERVED_TAG);
        p.intAt(20, targetTransferTag(nopIn));
        p.intAt(24, cmdSn);
        p.intAt(28, expStatSn);
        return p;
    }

    /** A Text Request (discovery: {@code SendTargets=All}). */
    static Pdu text(int itt, int cmdSn, int expStatSn, List<TextParameters.Pair> keys) {
        Pdu p = Pdu.create(Opcode.TEXT).byteAt(0, 0x40 | Opcode.TEXT);
        p.flags(0x80);
        p.itt(itt);
        p.intAt(20, Pdu.RESERVED_TAG);
        p.intAt(24, cmdSn);
        p.intAt(28, expStatSn);
        return p.data(TextParameters.encode(keys));
    }

    /** A Logout Request closing the session (reason 0), immediate. */
    static Pdu logout(int itt, int cmdSn, int expStatSn) {
        Pdu p = Pdu.create(Opcode.LOGOUT).byteAt(0, 0x40 | Opcode.LOGOUT);
        p.flags(0x80);
        p.itt(itt);
        p.intAt(24, cmdSn);
        p.intAt(28, expStatSn);
        return p;
    }

    /**
     * The LUN field for {@code lun} (SAM-5 §4.7): peripheral device addressing below 256, flat
     * space addressing above.
     */
    static long lunField(int lun) {
        if (lun < 256) {
            return (long) lun << 48;
        }
        return (long) (0x4000 | lun) << 48;
    }

    static int targetTransferTag(Pdu p) {
        return p.intAt(20);
    }

    static int statSn(Pdu p) {
        return p.intAt(24);
    }

    static int expCmdSn(Pdu p) {
        return p.intAt(28);
    }

    static int maxCmdSn(Pdu p) {
        return p.intAt(32);
    }

    static int dataSn(Pdu p) {
        return p.intAt(36);
    }

    static int bufferOffset(Pdu p) {
        return p.intAt(40);
    }

    static int residualCount(Pdu p) {
        return p.intAt(44);
    }

    /** Data-In S bit: the PDU carries the command's status. */
    static boolean dataInHasStatus(Pdu p) {
        return (p.flags() & 0x01) != 0;
    }

    /** Residual overflow (O) bit of Data-In and SCSI Response. */
    static boolean residualOverflow(Pdu p) {
        return (p.flags() & 0x04) != 0;
    }

    /** Residual underflow (U) bit of Data-In and SCSI Response. */
    static boolean residualUnderflow(Pdu p) {
        return (p.flags() & 0x02) != 0;
    }

    /** The status byte of a SCSI Response or a Data-In with S set. */
    static int scsiStatus(Pdu p) {
        return p.byteAt(3);
    }

    /** The iSCSI response code of a SCSI Response: 0 command completed at target. */
    static int responseCode(Pdu p) {
        return p.byteAt(2);
    }

    /** Sense data of a SCSI Response: the data segment is a 2-byte length then the sense bytes. */
    static byte[] senseData(Pdu response) {
        byte[] d = response.data();
        if (d.length < 2) {
            return new byte[0];
        }
        int n = Math.min(((d[0] & 0xff) << 8) | (d[1] & 0xff), d.length - 2);
        return java.util.Arrays.copyOfRange(d, 2, 2 + n);
    }

    /** Serial number arithmetic (RFC 1982, 32 bits): whether {@code a <= b}. */
    static boolean serialLessOrEqual(int a, int b) {
        return a == b || (b - a) > 0;
    }
}
