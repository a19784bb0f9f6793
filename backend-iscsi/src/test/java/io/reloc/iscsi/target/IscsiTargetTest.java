package io.reloc.iscsi.target;

import io.reloc.api.Export;
import io.reloc.core.export.ExportRegistry;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.TextParameters;
import io.reloc.iscsi.testing.FakeDevice;
import io.reloc.iscsi.testing.TestInitiator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.reloc.iscsi.testing.TestInitiator.dataOut;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The full feature phase over a real socket with a hand-driven initiator. */
class IscsiTargetTest {
    private static final String TARGET = "iqn.2026-11.io.reloc:disk0";
    private static final int BS = 512;

    private FakeDevice device;
    private IscsiTarget target;

    @BeforeEach
    void start() throws IOException {
        device = new FakeDevice(4 << 20, false);
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk0", "", device));
        exports.add(new Export("disk1", "", new FakeDevice(1 << 20, false)));
        target = new IscsiTarget(new InetSocketAddress("127.0.0.1", 0), exports, TargetConfig.defaults());
        target.start();
    }

    @AfterEach
    void stop() throws IOException {
        target.close();
    }

    private TestInitiator session(Map<String, String> keys) throws IOException {
        TestInitiator i = new TestInitiator(target.localAddress());
        Pdu r = i.loginNormal(TARGET, keys);
        assertEquals(0, r.byteAt(36), "login status");
        return i;
    }

    private static byte[] rw10(int opcode, long lba, int blocks) {
        byte[] c = new byte[16];
        c[0] = (byte) opcode;
        ByteBuffer.wrap(c).putInt(2, (int) lba).putShort(7, (short) blocks);
        return c;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Reads Data-In PDUs until the status; checks DataSN and offsets; returns data and status PDU. */
    private static Object[] collectRead(TestInitiator i) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int dataSn = 0;
        while (true) {
            Pdu p = i.receive();
            assertNotNull(p, "connection closed");
            if (p.opcode() == Opcode.DATA_IN) {
                assertEquals(dataSn++, p.intAt(36));
                assertEquals(data.size(), p.intAt(40));
                data.writeBytes(p.data());
                if ((p.flags() & 0x01) != 0) {
                    return new Object[] {data.toByteArray(), p};
                }
            } else {
                assertEquals(Opcode.SCSI_RESPONSE, p.opcode(), p.toString());
                return new Object[] {data.toByteArray(), p};
            }
        }
    }

    private static void assertGoodResponse(Pdu p) {
        assertEquals(Opcode.SCSI_RESPONSE, p.opcode(), p.toString());
        assertEquals(0, p.byteAt(3), "status");
    }

    @Test
    void writeWithR2TsThenReadInSplitDataIn() throws IOException {
        // No immediate data, R2T for everything, small bursts and PDUs on both sides.
        try (TestInitiator i = session(Map.of("ImmediateData", "No", "InitialR2T", "Yes",
                "MaxBurstLength", "4096", "MaxRecvDataSegmentLength", "1024"))) {
            byte[] data = random(20 * BS, 1);
            Pdu cmd = i.command(rw10(0x2a, 8, 20), data.length, false, true, true, new byte[0]);
            i.send(cmd);
            int sent = 0;
            int r2tSn = 0;
            while (sent < data.length) {
                Pdu r2t = i.receive();
                assertEquals(Opcode.R2T, r2t.opcode(), r2t.toString());
                assertEquals(r2tSn++, r2t.intAt(36));
                assertEquals(sent, r2t.intAt(40));
                int length = r2t.intAt(44);
                assertEquals(Math.min(4096, data.length - sent), length);
                for (int off = 0, sn = 0; off < length; off += 1024, sn++) {
                    int n = Math.min(1024, length - off);
                    i.send(dataOut(cmd.itt(), r2t.intAt(20), sn, sent + off, off + n == length,
                            Arrays.copyOfRange(data, sent + off, sent + off + n)));
                }
                sent += length;
            }
            assertGoodResponse(i.receive());
            i.send(i.command(rw10(0x28, 8, 20), data.length, true, false, true, new byte[0]));
            Object[] read = collectRead(i);
            assertArrayEquals(data, (byte[]) read[0]);
            Pdu last = (Pdu) read[1];
            assertEquals(0x01, last.flags() & 0x01); // status in the last Data-In
            assertEquals(0, last.byteAt(3));
        }
    }

    @Test
    void immediateAndUnsolicitedData() throws IOException {
        try (TestInitiator i = session(Map.of("FirstBurstLength", "2048", "MaxRecvDataSegmentLength", "1024"))) {
            byte[] data = random(8 * BS, 2);
            Pdu cmd = i.command(rw10(0x2a, 0, 8), data.length, false, true, false, Arrays.copyOf(data, 1024));
            i.send(cmd);
            i.send(dataOut(cmd.itt(), Pdu.RESERVED_TAG, 0, 1024, true, Arrays.copyOfRange(data, 1024, 2048)));
            Pdu r2t = i.receive();
            assertEquals(Opcode.R2T, r2t.opcode());
            assertEquals(2048, r2t.intAt(40));
            assertEquals(2048, r2t.intAt(44));
            i.send(dataOut(cmd.itt(), r2t.intAt(20), 0, 2048, true, Arrays.copyOfRange(data, 2048, 4096)));
            assertGoodResponse(i.receive());
            byte[] back = new byte[data.length];
            device.read(0, ByteBuffer.wrap(back));
            assertArrayEquals(data, back);
        }
    }

    @Test
    void residualsWhenExpectedLengthDiffers() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            i.send(i.command(rw10(0x28, 0, 2), BS, true, false, true, new byte[0]));
            Object[] r = collectRead(i);
            assertEquals(BS, ((byte[]) r[0]).length);
            Pdu status = (Pdu) r[1];
            assertEquals(0x04, status.flags() & 0x06, "overflow");
            assertEquals(BS, status.intAt(44));
            i.send(i.command(rw10(0x28, 0, 1), 3 * BS, true, false, true, new byte[0]));
            status = (Pdu) collectRead(i)[1];
            assertEquals(0x02, status.flags() & 0x06, "underflow");
            assertEquals(2 * BS, status.intAt(44));
        }
    }

    @Test
    void manyCommandsInFlightAllComplete() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            byte[] data = random(64 * BS, 3);
            device.write(0, ByteBuffer.wrap(data), false);
            java.util.Map<Integer, Integer> lbaByItt = new java.util.HashMap<>();
            for (int n = 0; n < 48; n++) {
                int lba = (n * 7) % 60;
                Pdu cmd = i.command(rw10(0x28, lba, 4), 4 * BS, true, false, true, new byte[0]);
                lbaByItt.put(cmd.itt(), lba);
                i.send(cmd);
            }
            java.util.Map<Integer, ByteArrayOutputStream> got = new java.util.HashMap<>();
            java.util.Set<Integer> done = new java.util.HashSet<>();
            int lastStatSn = -1;
            while (done.size() < lbaByItt.size()) {
                Pdu p = i.receive();
                assertNotNull(p);
                assertEquals(Opcode.DATA_IN, p.opcode(), p.toString());
                got.computeIfAbsent(p.itt(), k -> new ByteArrayOutputStream()).writeBytes(p.data());
                if ((p.flags() & 1) != 0) {
                    assertTrue(done.add(p.itt()));
                    if (lastStatSn >= 0) {
                        assertEquals(lastStatSn + 1, p.intAt(24), "StatSN increases by one per status");
                    }
                    lastStatSn = p.intAt(24);
                }
            }
            for (var e : lbaByItt.entrySet()) {
                int lba = e.getValue();
                assertArrayEquals(Arrays.copyOfRange(data, lba * BS, (lba + 4) * BS),
                        got.get(e.getKey()).toByteArray());
            }
        }
    }

    /**
     * Responses queue up behind a socket the initiator does not read yet: each one's Data-In
     * buffer must stay with it until it is written, although later reads take pooled buffers.
     */
    @Test
    void queuedReadDataIsNotReusedBeforeItIsSent() throws IOException, InterruptedException {
        try (TestInitiator i = session(Map.of())) {
            int blocks = 512; // 256 KiB per read: 64 of them are more than the socket buffers hold
            byte[] data = random(8192 * BS, 11);
            device.write(0, ByteBuffer.wrap(data), false);
            java.util.Map<Integer, Integer> lbaByItt = new java.util.HashMap<>();
            for (int n = 0; n < 64; n++) {
                int lba = n * 97 % (8192 - blocks);
                Pdu cmd = i.command(rw10(0x28, lba, blocks), blocks * BS, true, false, true, new byte[0]);
                lbaByItt.put(cmd.itt(), lba);
                i.send(cmd);
            }
            Thread.sleep(200); // lets the responses pile up in the target
            java.util.Map<Integer, ByteArrayOutputStream> got = new java.util.HashMap<>();
            int statuses = 0;
            while (statuses < lbaByItt.size()) {
                Pdu p = i.receive();
                assertNotNull(p, "connection closed");
                assertEquals(Opcode.DATA_IN, p.opcode(), p.toString());
                got.computeIfAbsent(p.itt(), k -> new ByteArrayOutputStream()).writeBytes(p.data());
                if ((p.flags() & 1) != 0) {
                    statuses++;
                }
            }
            for (var e : lbaByItt.entrySet()) {
                int lba = e.getValue();
                assertArrayEquals(Arrays.copyOfRange(data, lba * BS, (lba + blocks) * BS),
                        got.get(e.getKey()).toByteArray(), "data of the read at LBA " + lba);
            }
        }
    }

    @Test
    void checkConditionCarriesSenseData() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            i.send(i.command(new byte[] {(byte) 0xee}, 0, false, false, true, new byte[0]));
            Pdu r = i.receive();
            assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
            assertEquals(2, r.byteAt(3));
            byte[] d = r.data();
            assertEquals(18, ((d[0] & 0xff) << 8) | (d[1] & 0xff));
            assertEquals(0x70, d[2] & 0xff);
            assertEquals(5, d[4]);
            assertEquals(0x20, d[14]);
        }
    }

    @Test
    void nopPingIsEchoed() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            Pdu nop = Pdu.create(Opcode.NOP_OUT).byteAt(0, 0x40).flags(0x80).itt(77).intAt(20, Pdu.RESERVED_TAG);
            nop.intAt(24, i.cmdSn).data(new byte[] {1, 2, 3});
            i.send(nop);
            Pdu r = i.receive();
            assertEquals(Opcode.NOP_IN, r.opcode());
            assertEquals(77, r.itt());
            assertEquals(Pdu.RESERVED_TAG, r.intAt(20));
            assertArrayEquals(new byte[] {1, 2, 3}, r.data());
        }
    }

    @Test
    void commandsOutsideTheCmdSnWindowAreDropped() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            int exp = i.cmdSn;
            Pdu tooHigh = i.command(new byte[16], 0, false, false, true, new byte[0]).intAt(24, exp + 1000);
            Pdu tooLow = i.command(new byte[16], 0, false, false, true, new byte[0]).intAt(24, exp - 1);
            i.send(tooHigh);
            i.send(tooLow);
            Pdu good = i.command(new byte[16], 0, false, false, true, new byte[0]).intAt(24, exp);
            i.send(good);
            Pdu r = i.receive();
            assertEquals(good.itt(), r.itt(), "the dropped commands got no answer");
            assertEquals(exp + 1, r.intAt(28));
        }
    }

    @Test
    void outOfSequenceDataOutFailsOnlyThatTask() throws IOException {
        try (TestInitiator i = session(Map.of("ImmediateData", "No", "MaxRecvDataSegmentLength", "512"))) {
            Pdu cmd = i.command(rw10(0x2a, 100, 2), 2 * BS, false, true, false, new byte[0]);
            i.send(cmd);
            i.send(dataOut(cmd.itt(), Pdu.RESERVED_TAG, 0, 0, false, new byte[BS]));
            i.send(dataOut(cmd.itt(), Pdu.RESERVED_TAG, 0, BS, true, new byte[BS])); // DataSN repeats
            Pdu r = i.receive();
            assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
            assertEquals(2, r.byteAt(3));
            assertEquals(0x0b, r.data()[4]); // ABORTED COMMAND
            i.send(i.command(new byte[16], 0, false, false, true, new byte[0]));
            assertGoodResponse(i.receive());
        }
    }

    @Test
    void taskManagement() throws IOException {
        try (TestInitiator i = session(Map.of("ImmediateData", "No", "InitialR2T", "Yes"))) {
            Pdu write = i.command(rw10(0x2a, 0, 1), BS, false, true, true, new byte[0]);
            i.send(write);
            assertEquals(Opcode.R2T, i.receive().opcode());
            assertEquals(0, tmf(i, 1, write.itt()).byteAt(2), "pending task aborted");
            assertEquals(1, tmf(i, 1, 0x5555).byteAt(2), "unknown task");
            assertEquals(0, tmf(i, 5, 0).byteAt(2), "LUN reset");
            assertEquals(5, tmf(i, 7, 0).byteAt(2), "cold reset not supported");
            i.send(i.command(new byte[16], 0, false, false, true, new byte[0]));
            assertGoodResponse(i.receive());
        }
    }

    private static Pdu tmf(TestInitiator i, int function, int referenced) throws IOException {
        Pdu p = Pdu.create(Opcode.TASK_MANAGEMENT).byteAt(0, 0x40 | Opcode.TASK_MANAGEMENT).flags(0x80 | function);
        p.itt(i.nextItt()).intAt(20, referenced).intAt(24, i.cmdSn);
        i.send(p);
        Pdu r = i.receive();
        assertEquals(Opcode.TASK_MANAGEMENT_RESPONSE, r.opcode());
        assertEquals(p.itt(), r.itt());
        return r;
    }

    @Test
    void discoveryListsEveryTarget() throws IOException {
        try (TestInitiator i = new TestInitiator(target.localAddress())) {
            assertEquals(0, i.loginDiscovery().byteAt(36));
            Pdu text = Pdu.create(Opcode.TEXT).byteAt(0, 0x40 | Opcode.TEXT).flags(0x80).itt(9);
            text.intAt(20, Pdu.RESERVED_TAG).intAt(24, i.cmdSn);
            text.data(TextParameters.encode(Map.of("SendTargets", "All")));
            i.send(text);
            Pdu r = i.receive();
            assertEquals(Opcode.TEXT_RESPONSE, r.opcode());
            List<TextParameters.Pair> pairs = TextParameters.parse(r.data());
            int port = target.localAddress().getPort();
            assertEquals(List.of(new TextParameters.Pair("TargetName", "iqn.2026-11.io.reloc:disk0"),
                    new TextParameters.Pair("TargetAddress", "127.0.0.1:" + port + ",1"),
                    new TextParameters.Pair("TargetName", "iqn.2026-11.io.reloc:disk1"),
                    new TextParameters.Pair("TargetAddress", "127.0.0.1:" + port + ",1")), pairs);
            i.send(i.command(new byte[16], 0, false, false, true, new byte[0]));
            assertEquals(Opcode.REJECT, i.receive().opcode(), "no SCSI in a discovery session");
        }
    }

    @Test
    void logoutClosesTheConnection() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            Pdu logout = Pdu.create(Opcode.LOGOUT).byteAt(0, 0x40 | Opcode.LOGOUT).flags(0x80).itt(3);
            logout.intAt(24, i.cmdSn);
            i.send(logout);
            Pdu r = i.receive();
            assertEquals(Opcode.LOGOUT_RESPONSE, r.opcode());
            assertEquals(0, r.byteAt(2));
            assertEquals(List.of(), i.receiveUntilClosed());
        }
    }

    @Test
    void unknownOpcodeIsRejectedAndTheSessionGoesOn() throws IOException {
        try (TestInitiator i = session(Map.of())) {
            i.send(Pdu.create(0x1c).flags(0x80).itt(5));
            Pdu r = i.receive();
            assertEquals(Opcode.REJECT, r.opcode());
            assertEquals(5, r.byteAt(2));
            assertEquals(0x1c, r.data()[0] & 0x3f);
            i.send(i.command(new byte[16], 0, false, false, true, new byte[0]));
            assertGoodResponse(i.receive());
        }
    }

    @Test
    void malformedPduClosesOnlyItsConnection() throws IOException {
        try (TestInitiator good = session(Map.of()); TestInitiator bad = session(Map.of())) {
            byte[] header = new byte[48];
            header[0] = Opcode.SCSI_COMMAND;
            header[5] = 0x7f; // a data segment far beyond MaxRecvDataSegmentLength
            bad.sendRaw(header);
            List<Pdu> last = bad.receiveUntilClosed();
            assertTrue(last.isEmpty() || last.getFirst().opcode() == Opcode.REJECT, last.toString());
            good.send(good.command(new byte[16], 0, false, false, true, new byte[0]));
            assertGoodResponse(good.receive());
        }
    }

    @Test
    void digestsAreCheckedOnceNegotiated() throws IOException {
        try (TestInitiator i = session(Map.of("HeaderDigest", "CRC32C,None", "DataDigest", "CRC32C,None"))) {
            i.codec.digests(true, true);
            i.send(i.command(rw10(0x28, 0, 1), BS, true, false, true, new byte[0]));
            assertEquals(BS, ((byte[]) collectRead(i)[0]).length);
            byte[] wire = i.codec.encode(i.command(new byte[16], 0, false, false, true, new byte[0]));
            wire[40] ^= 1; // breaks the header digest
            i.sendRaw(wire);
            assertEquals(List.of(), i.receiveUntilClosed().stream().filter(p -> p.opcode() != Opcode.REJECT).toList());
        }
        try (TestInitiator i = session(Map.of("DataDigest", "CRC32C"))) {
            i.codec.digests(false, true);
            byte[] wire = i.codec.encode(i.command(rw10(0x2a, 0, 1), BS, false, true, true, new byte[BS]));
            wire[60] ^= 1; // breaks the data digest
            i.sendRaw(wire);
            List<Pdu> answers = i.receiveUntilClosed();
            assertEquals(1, answers.size(), answers.toString());
            assertEquals(Opcode.REJECT, answers.getFirst().opcode());
            assertEquals(2, answers.getFirst().byteAt(2));
        }
    }

    @Test
    void randomGarbageNeverHurtsOtherSessions() throws IOException {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("randomGarbageNeverHurtsOtherSessions seed=" + seed);
        Random random = new Random(seed);
        try (TestInitiator good = session(Map.of())) {
            for (int round = 0; round < 30; round++) {
                try (TestInitiator bad = session(Map.of())) {
                    bad.soTimeout(2000);
                    byte[] header = new byte[48];
                    random.nextBytes(header);
                    header[4] = 0; // no AHS, so the garbage stays short
                    header[5] = 0;
                    header[6] = (byte) random.nextInt(2);
                    bad.sendRaw(header);
                    bad.sendRaw(new byte[random.nextInt(600)]);
                } catch (IOException e) {
                    // A closed or reset connection is a fine answer to garbage.
                }
                good.send(good.command(new byte[16], 0, false, false, true, new byte[0]));
                Pdu r = good.receive();
                assertEquals(Opcode.SCSI_RESPONSE, r.opcode(), "seed " + seed);
                assertEquals(0, r.byteAt(3), "seed " + seed);
            }
        }
    }

    @Test
    void truncatedLoginTimesOutOrCloses() throws IOException {
        try (TestInitiator i = new TestInitiator(target.localAddress())) {
            i.sendRaw(new byte[] {0x43, (byte) 0x87});
            i.soTimeout(500);
            assertThrows(SocketTimeoutException.class, i::receive);
        }
        // The target still serves others.
        try (TestInitiator i = session(Map.of())) {
            i.send(i.command(new byte[16], 0, false, false, true, new byte[0]));
            assertGoodResponse(i.receive());
        }
    }
}
