package io.reloc.iscsi.testing;

import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.PduCodec;
import io.reloc.iscsi.pdu.TextParameters;
import io.reloc.iscsi.pdu.TextParameters.Pair;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal initiator for tests: raw PDUs over a socket, a login helper, and sequence number
 * bookkeeping. Deliberately permissive so tests can send malformed or out-of-order PDUs.
 */
public final class TestInitiator implements AutoCloseable {
    public static final String NAME = "iqn.2026-11.io.reloc.test:initiator";

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    public final PduCodec codec = new PduCodec(1 << 24);
    public int cmdSn = 1;
    public int expStatSn;
    private int itt = 1;

    public TestInitiator(InetSocketAddress target) throws IOException {
        socket = new Socket(target.getAddress(), target.getPort());
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    public int nextItt() {
        return itt++;
    }

    /** The keys libiscsi sends, plus {@code extra}; later entries replace earlier ones. */
    public static Map<String, String> operationalKeys(Map<String, String> extra) {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("HeaderDigest", "None");
        k.put("DataDigest", "None");
        k.put("InitialR2T", "No");
        k.put("ImmediateData", "Yes");
        k.put("MaxBurstLength", "262144");
        k.put("FirstBurstLength", "262144");
        k.put("MaxRecvDataSegmentLength", "262144");
        k.put("DefaultTime2Wait", "2");
        k.put("DefaultTime2Retain", "0");
        k.put("MaxOutstandingR2T", "1");
        k.put("ErrorRecoveryLevel", "0");
        k.put("MaxConnections", "1");
        k.put("DataPDUInOrder", "Yes");
        k.put("DataSequenceInOrder", "Yes");
        k.putAll(extra);
        return k;
    }

    /** A Login Request with ISID 0x80..01, CID 0. */
    public static Pdu loginRequest(int flags, int cmdSn, Map<String, String> keys) {
        Pdu p = Pdu.create(Opcode.LOGIN).byteAt(0, 0x40 | Opcode.LOGIN).flags(flags);
        p.bytes(8, new byte[] {(byte) 0x80, 0, 0, 0, 0, 1});
        p.itt(0x1000).intAt(24, cmdSn);
        return p.data(TextParameters.encode(keys));
    }

    public static Map<String, String> keys(Pdu response) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Pair p : TextParameters.parse(response.data())) {
            m.put(p.key(), p.value());
        }
        return m;
    }

    /** Logs in without authentication, operational stage straight to full feature phase. */
    public Pdu loginNormal(String targetName, Map<String, String> extraKeys) throws IOException {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("InitiatorName", NAME);
        k.put("SessionType", "Normal");
        k.put("TargetName", targetName);
        k.putAll(operationalKeys(extraKeys));
        send(loginRequest(0x87, cmdSn, k));
        Pdu r = receive();
        expStatSn = r.intAt(24) + 1;
        return r;
    }

    public Pdu loginDiscovery() throws IOException {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("InitiatorName", NAME);
        k.put("SessionType", "Discovery");
        k.putAll(operationalKeys(Map.of()));
        send(loginRequest(0x87, cmdSn, k));
        Pdu r = receive();
        expStatSn = r.intAt(24) + 1;
        return r;
    }

    /** A SCSI Command PDU; non-immediate, taking the next CmdSN. */
    public Pdu command(byte[] cdb, int expectedLength, boolean read, boolean write, boolean isFinal,
            byte[] immediate) {
        Pdu p = Pdu.create(Opcode.SCSI_COMMAND);
        p.flags((isFinal ? 0x80 : 0) | (read ? 0x40 : 0) | (write ? 0x20 : 0) | 0x01);
        p.itt(nextItt()).intAt(20, expectedLength).intAt(24, cmdSn++).intAt(28, expStatSn);
        p.bytes(32, java.util.Arrays.copyOf(cdb, 16));
        return p.data(immediate);
    }

    public static Pdu dataOut(int itt, int ttt, int dataSn, int offset, boolean isFinal, byte[] data) {
        Pdu p = Pdu.create(Opcode.DATA_OUT).flags(isFinal ? 0x80 : 0);
        p.itt(itt).intAt(20, ttt).intAt(36, dataSn).intAt(40, offset);
        return p.data(data);
    }

    public void send(Pdu pdu) throws IOException {
        codec.write(out, pdu);
        out.flush();
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next PDU; null when the target closed the connection. */
    public Pdu receive() throws IOException {
        Pdu p = codec.read(in);
        if (p != null && (p.opcode() == Opcode.SCSI_RESPONSE || p.opcode() == Opcode.NOP_IN
                || (p.opcode() == Opcode.DATA_IN && (p.flags() & 1) != 0))) {
            expStatSn = p.intAt(24) + 1;
        }
        return p;
    }

    /** Receives PDUs until the target closes the connection; returns them. */
    public List<Pdu> receiveUntilClosed() throws IOException {
        List<Pdu> all = new java.util.ArrayList<>();
        try {
            for (Pdu p = receive(); p != null; p = receive()) {
                all.add(p);
            }
        } catch (java.net.SocketException | java.io.EOFException e) {
            // reset by the target: closed too
        }
        return all;
    }

    public void soTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
