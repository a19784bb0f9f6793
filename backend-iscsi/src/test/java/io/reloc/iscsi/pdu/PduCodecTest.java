package io.reloc.iscsi.pdu;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PduCodecTest {

    private static Pdu command(byte[] data) {
        Pdu p = Pdu.create(Opcode.SCSI_COMMAND).flags(0xa0).itt(0x1234).intAt(20, 512).intAt(24, 7);
        p.byteAt(32, 0x2a);
        return p.data(data);
    }

    private static Pdu decode(PduCodec codec, byte[] wire) throws IOException {
        return codec.read(new ByteArrayInputStream(wire));
    }

    @Test
    void roundTripWithoutDigestsPadsData() throws IOException {
        PduCodec codec = new PduCodec(8192);
        byte[] wire = codec.encode(command(new byte[] {1, 2, 3, 4, 5}));
        assertEquals(48 + 8, wire.length);
        assertEquals(5, wire[7]);
        Pdu back = decode(codec, wire);
        assertEquals(Opcode.SCSI_COMMAND, back.opcode());
        assertEquals(0x1234, back.itt());
        assertEquals(512, back.intAt(20));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, back.data());
        assertTrue(back.isFinal());
    }

    @Test
    void roundTripWithDigests() throws IOException {
        PduCodec codec = new PduCodec(8192);
        codec.digests(true, true);
        byte[] wire = codec.encode(command(new byte[] {9, 8, 7}));
        assertEquals(48 + 4 + 4 + 4, wire.length);
        assertEquals(Digests.headerDigest(Arrays.copyOf(wire, 48), new byte[0]), Digests.getLittleEndian(wire, 48));
        assertArrayEquals(new byte[] {9, 8, 7}, decode(codec, wire).data());
    }

    @Test
    void noDataDigestWithoutData() throws IOException {
        PduCodec codec = new PduCodec(8192);
        codec.digests(false, true);
        byte[] wire = codec.encode(Pdu.create(Opcode.NOP_IN));
        assertEquals(48, wire.length);
        assertEquals(Opcode.NOP_IN, decode(codec, wire).opcode());
    }

    @Test
    void ahsIsRead() throws IOException {
        PduCodec codec = new PduCodec(8192);
        Pdu p = command(new byte[0]);
        byte[] wire = codec.encode(p);
        byte[] withAhs = new byte[wire.length + 8];
        System.arraycopy(wire, 0, withAhs, 0, 48);
        withAhs[4] = 2; // two words of AHS
        withAhs[48] = 0x11;
        Pdu back = decode(codec, withAhs);
        assertEquals(8, back.ahs().length);
        assertEquals(0x11, back.ahs()[0]);
    }

    @Test
    void cleanEndOfStreamIsNull() throws IOException {
        assertNull(decode(new PduCodec(8192), new byte[0]));
    }

    @Test
    void truncatedHeaderOrDataIsEof() {
        PduCodec codec = new PduCodec(8192);
        byte[] wire = codec.encode(command(new byte[100]));
        assertThrows(EOFException.class, () -> decode(codec, Arrays.copyOf(wire, 20)));
        assertThrows(EOFException.class, () -> decode(codec, Arrays.copyOf(wire, 60)));
    }

    @Test
    void oversizedDataSegmentIsMalformed() {
        PduCodec big = new PduCodec(1 << 20);
        byte[] wire = big.encode(command(new byte[4096]));
        PduException e = assertThrows(PduException.class, () -> decode(new PduCodec(1024), wire));
        assertEquals(PduException.Kind.MALFORMED, e.kind());
        assertTrue(e.getMessage().contains("4096"), e.getMessage());
    }

    @Test
    void headerDigestMismatch() {
        PduCodec codec = new PduCodec(8192);
        codec.digests(true, false);
        byte[] wire = codec.encode(command(new byte[0]));
        wire[20] ^= 1;
        PduException e = assertThrows(PduException.class, () -> decode(codec, wire));
        assertEquals(PduException.Kind.HEADER_DIGEST, e.kind());
    }

    @Test
    void dataDigestMismatchKeepsThePdu() {
        PduCodec codec = new PduCodec(8192);
        codec.digests(false, true);
        byte[] wire = codec.encode(command(new byte[] {1, 2, 3, 4}));
        wire[49] ^= 1;
        PduException e = assertThrows(PduException.class, () -> decode(codec, wire));
        assertEquals(PduException.Kind.DATA_DIGEST, e.kind());
        assertEquals(0x1234, e.pdu().itt());
    }

    @Test
    void streamsSeveralPdus() throws IOException {
        PduCodec codec = new PduCodec(8192);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        codec.write(out, command(new byte[] {1}));
        codec.write(out, Pdu.create(Opcode.NOP_OUT).itt(5));
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertEquals(Opcode.SCSI_COMMAND, codec.read(in).opcode());
        assertEquals(5, codec.read(in).itt());
        assertNull(codec.read(in));
    }

    @Test
    void headerFieldAccessors() {
        Pdu p = Pdu.create(Opcode.LOGIN).longAt(8, 0x0102030405060708L).shortAt(20, 0xabcd);
        assertEquals(0x0102030405060708L, p.lun());
        assertEquals(0xabcd, p.shortAt(20));
        assertThrows(IllegalArgumentException.class, () -> Pdu.of(new byte[47], new byte[0], new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> p.data(new byte[1 << 24]));
    }
}
