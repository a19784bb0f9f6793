package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.PduCodec;
import io.reloc.iscsi.pdu.TextParameters;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The initiator's PDUs as bytes on the wire, and its parsing of the target's. */
class InitiatorPdusTest {
    private final PduCodec codec = new PduCodec(1 << 20);

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void readCommandHasFlagsLunTagLengthSequenceNumbersAndCdb() {
        Pdu p = InitiatorPdus.readCommand(InitiatorPdus.lunField(1), 0x11223344, 7, 9, Cdbs.read16(0x0102, 8), 4096);
        byte[] wire = codec.encode(p);
        assertEquals(48, wire.length);
        assertArrayEquals(hex("01 c1 0000 00 000000 0001000000000000 11223344 00001000 00000007 00000009"
                + "88 00 0000000000000102 00000008 00 00"), wire);
    }

    @Test
    void lunFieldUsesFlatAddressingAbove255() {
        assertEquals(0x0005_0000_0000_0000L, InitiatorPdus.lunField(5));
        assertEquals(0x4123_0000_0000_0000L, InitiatorPdus.lunField(0x123));
    }

    @Test
    void loginRequestCarriesStagesIsidAndKeys() throws Exception {
        byte[] isid = hex("80 01 02 03 04 05");
        Pdu p = InitiatorPdus.login(isid, 0, 1, 0, true, InitiatorPdus.OPERATIONAL, InitiatorPdus.FULL_FEATURE,
                List.of(new TextParameters.Pair("InitiatorName", "iqn.x")));
        Pdu back = codec.read(new ByteArrayInputStream(codec.encode(p)));
        assertEquals(0x43, back.byteAt(0));
        assertEquals(0x87, back.flags());
        assertArrayEquals(isid, back.bytes(8, 6));
        assertEquals(1, back.intAt(24));
        assertEquals(List.of(new TextParameters.Pair("InitiatorName", "iqn.x")), TextParameters.parse(back.data()));
    }

    @Test
    void nopOutEchoesTheTargetTransferTagAndLunAsImmediate() {
        Pdu nopIn = Pdu.create(Opcode.NOP_IN).flags(0x80).itt(Pdu.RESERVED_TAG).intAt(20, 0xabcd);
        nopIn.longAt(8, 0x0001_0000_0000_0000L);
        Pdu out = InitiatorPdus.nopOutReply(nopIn, 42, 17);
        assertEquals(0x40, out.byteAt(0));
        assertEquals(Pdu.RESERVED_TAG, out.itt());
        assertEquals(0xabcd, out.intAt(20));
        assertEquals(0x0001_0000_0000_0000L, out.lun());
        assertEquals(42, out.intAt(24));
        assertEquals(17, out.intAt(28));
    }

    @Test
    void logoutIsImmediateWithReasonCloseSession() {
        Pdu p = InitiatorPdus.logout(5, 10, 3);
        assertEquals(0x46, p.byteAt(0));
        assertEquals(0x80, p.flags());
    }

    @Test
    void serialArithmeticWraps() {
        assertTrue(InitiatorPdus.serialLessOrEqual(5, 5));
        assertTrue(InitiatorPdus.serialLessOrEqual(0xfffffff0, 3));
        assertFalse(InitiatorPdus.serialLessOrEqual(3, 0xfffffff0));
        assertFalse(InitiatorPdus.serialLessOrEqual(6, 5));
    }

    private static Pdu dataIn(int dataSn, int offset, byte[] data, boolean status) {
        Pdu p = Pdu.create(Opcode.DATA_IN).flags(status ? 0x81 : 0).intAt(36, dataSn).intAt(40, offset);
        return p.data(data);
    }

    @Test
    void dataInReassemblesInOrderAndCompletesOnStatus() throws Exception {
        PendingCommand c = new PendingCommand("read", 8, true);
        assertFalse(c.onDataIn(dataIn(0, 0, new byte[] {1, 2, 3, 4}, false)));
        assertTrue(c.onDataIn(dataIn(1, 4, new byte[] {5, 6, 7, 8}, true)));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, c.done().get());
    }

    @Test
    void dataInGapOverlapOverrunAndDataSnAreProtocolErrors() throws Exception {
        PendingCommand gap = new PendingCommand("read", 8, true);
        gap.onDataIn(dataIn(0, 0, new byte[2], false));
        assertThrows(ProtocolException.class, () -> gap.onDataIn(dataIn(1, 4, new byte[2], false)));
        PendingCommand overlap = new PendingCommand("read", 8, true);
        overlap.onDataIn(dataIn(0, 0, new byte[4], false));
        assertThrows(ProtocolException.class, () -> overlap.onDataIn(dataIn(1, 2, new byte[4], false)));
        PendingCommand overrun = new PendingCommand("read", 8, true);
        assertThrows(ProtocolException.class, () -> overrun.onDataIn(dataIn(0, 0, new byte[12], true)));
        PendingCommand sn = new PendingCommand("read", 8, true);
        sn.onDataIn(dataIn(0, 0, new byte[4], false));
        assertThrows(ProtocolException.class, () -> sn.onDataIn(dataIn(2, 4, new byte[4], true)));
    }

    @Test
    void statusWithMissingDataAndNoResidualIsAProtocolError() throws Exception {
        PendingCommand c = new PendingCommand("read", 8, true);
        assertThrows(ProtocolException.class, () -> c.onDataIn(dataIn(0, 0, new byte[4], true)));
    }

    @Test
    void underflowIsAnErrorForReadsAndFineForInquiry() throws Exception {
        Pdu shortRead = dataIn(0, 0, new byte[4], true);
        shortRead.flags(0x83).intAt(44, 4);
        PendingCommand read = new PendingCommand("read", 8, true);
        read.onDataIn(shortRead);
        ExecutionException e = assertThrows(ExecutionException.class, () -> read.done().get());
        assertEquals(BlockError.IO, ((BlockDeviceException) e.getCause()).error());
        PendingCommand inquiry = new PendingCommand("inquiry", 8, false);
        inquiry.onDataIn(shortRead);
        assertEquals(4, inquiry.done().get().length);
    }

    @Test
    void checkConditionDecodesFixedSense() throws Exception {
        byte[] sense = new byte[18];
        sense[0] = 0x70;
        sense[2] = 0x05;
        sense[12] = 0x21;
        byte[] segment = new byte[20];
        segment[1] = 18;
        System.arraycopy(sense, 0, segment, 2, 18);
        Pdu r = Pdu.create(Opcode.SCSI_RESPONSE).flags(0x80).byteAt(3, 0x02).data(segment);
        PendingCommand c = new PendingCommand("READ(16)", 512, true);
        c.onResponse(r);
        ExecutionException e = assertThrows(ExecutionException.class, () -> c.done().get());
        ScsiCheckCondition cc = assertInstanceOf(ScsiCheckCondition.class, e.getCause());
        assertEquals(BlockError.INVALID, cc.error());
        assertTrue(cc.getMessage().contains("logical block address out of range"), cc.getMessage());
        assertTrue(cc.sense().lbaOutOfRange());
    }

    @Test
    void descriptorSenseIsDecoded() {
        Sense s = Sense.parse(hex("72 05 20 00 00 00 00 00"));
        assertTrue(s.invalidOpcode());
        assertEquals(Sense.NONE, Sense.parse(new byte[0]));
    }

    @Test
    void readCapacity16GivesBlocksBlockSizeAndProvisioning() {
        byte[] d = new byte[32];
        d[7] = (byte) 0xff;
        d[10] = 0x02;
        d[14] = (byte) 0xc0;
        Cdbs.Capacity c = Cdbs.parseCapacity16(d);
        assertEquals(new Cdbs.Capacity(256, 512, true, true), c);
        assertThrows(IllegalArgumentException.class, () -> Cdbs.parseCapacity16(new byte[32]));
        assertEquals(new Cdbs.Capacity(8, 4096, false, false), Cdbs.parseCapacity10(hex("00000007 00001000")));
    }

    @Test
    void lbaStatusDescriptorsAreParsedUpToTheParameterLength() {
        byte[] d = hex("00000024 00000000"
                + "0000000000000000 00000010 00 000000"
                + "0000000000000010 00000020 01 000000"
                + "0000000000000030 00000001 00 000000");
        List<Cdbs.LbaStatus> s = Cdbs.parseLbaStatus(d);
        assertEquals(List.of(new Cdbs.LbaStatus(0, 16, 0), new Cdbs.LbaStatus(16, 32, 1)), s);
    }

    @Test
    void uriParsesLibiscsiForm() {
        IscsiUri u = IscsiUri.parse(java.net.URI.create("iscsi://joe%25s3cret@127.0.0.1:3261/iqn.2026-11.x:d/1"));
        assertEquals("127.0.0.1", u.host());
        assertEquals(3261, u.port());
        assertEquals("iqn.2026-11.x:d", u.targetName());
        assertEquals(1, u.lun());
        assertEquals("joe", u.chapUser().orElseThrow());
        assertEquals("s3cret", u.chapSecret().orElseThrow());
        assertFalse(u.toString().contains("s3cret"));
        assertEquals(3260, IscsiUri.parse(java.net.URI.create("iscsi://h/iqn.a:b/0")).port());
        assertThrows(IllegalArgumentException.class, () -> IscsiUri.parse(java.net.URI.create("iscsi://h/iqn.a:b")));
        assertThrows(IllegalArgumentException.class, () -> IscsiUri.parse(java.net.URI.create("iscsi://h/iqn.a:b/x")));
    }
}
