package io.reloc.iscsi.initiator;

import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.PduCodec;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted iSCSI target for one connection: accepts any login at once, answers READ CAPACITY(16)
 * for {@code blocks} blocks of 512 bytes, refuses other non-read commands, and hands every READ(16)
 * to a {@link Script} that may answer it correctly or break the protocol. Records what it saw.
 */
final class FakeTarget implements AutoCloseable {
    /** How the target answers one READ(16). */
    interface Script {
        void onRead(FakeTarget t, Pdu command, long lba, int blocks) throws IOException;
    }

    final List<Pdu> received = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    /** Commands still to answer with UNIT ATTENTION (power on or reset), as tgt does first. */
    final java.util.concurrent.atomic.AtomicInteger unitAttentions = new java.util.concurrent.atomic.AtomicInteger();
    private final ServerSocket server;
    private final long blocks;
    private final int window;
    private final Script script;
    private final PduCodec codec = new PduCodec(1 << 24);
    private final Thread thread;
    private volatile OutputStream out;
    private int statSn;
    private int expCmdSn;

    FakeTarget(long blocks, int window, Script script) throws IOException {
        this(blocks, window, 0, script);
    }

    FakeTarget(long blocks, int window, int unitAttentions, Script script) throws IOException {
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        this.blocks = blocks;
        this.window = window;
        this.script = script;
        this.unitAttentions.set(unitAttentions);
        this.thread = Thread.ofVirtual().start(this::serve);
    }

    String uri() {
        return "iscsi://127.0.0.1:" + server.getLocalPort() + "/iqn.2026-11.io.reloc:fake/0";
    }

    /** The data block {@code lba} holds: its LBA in every byte position's low bits. */
    static byte[] content(long lba, int count) {
        byte[] b = new byte[count * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (lba + i / 512 + i);
        }
        return b;
    }

    private void serve() {
        try (Socket s = server.accept()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            out = s.getOutputStream();
            Pdu login = codec.read(in);
            expCmdSn = login.intAt(24);
            Pdu r = Pdu.create(Opcode.LOGIN_RESPONSE).flags(0x80 | (1 << 2) | 3).itt(login.itt());
            r.bytes(8, login.bytes(8, 6)).shortAt(14, 1);
            send(status(r));
            while (true) {
                Pdu p = codec.read(in);
                if (p == null) {
                    return;
                }
                received.add(p);
                switch (p.opcode()) {
                    case Opcode.SCSI_COMMAND -> command(p);
                    case Opcode.LOGOUT -> {
                        send(status(Pdu.create(Opcode.LOGOUT_RESPONSE).flags(0x80).itt(p.itt())));
                        return;
                    }
                    default -> { }
                }
            }
        } catch (IOException e) {
            // The initiator dropped the connection.
        }
    }

    private void command(Pdu p) throws IOException {
        int cmdSn = p.intAt(24);
        if (cmdSn - (expCmdSn + window - 1) > 0) {
            violations.add("CmdSN " + cmdSn + " beyond MaxCmdSN " + (expCmdSn + window - 1));
        }
        expCmdSn = cmdSn + 1;
        byte[] cdb = p.bytes(32, 16);
        int op = cdb[0] & 0xff;
        if (unitAttentions.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            checkCondition(p, 0x06, 0x29);
        } else if (op == 0x9e && (cdb[1] & 0x1f) == 0x10) {
            byte[] d = new byte[32];
            java.nio.ByteBuffer.wrap(d).putLong(0, blocks - 1).putInt(8, 512);
            dataIn(p.itt(), 0, 0, d, true);
        } else if (op == 0x88) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(cdb);
            script.onRead(this, p, b.getLong(2), b.getInt(10));
        } else {
            checkCondition(p, 0x05, 0x20);
        }
    }

    private void checkCondition(Pdu p, int key, int asc) throws IOException {
        byte[] sense = new byte[20];
        sense[1] = 18;
        sense[2] = 0x70;
        sense[4] = (byte) key;
        sense[14] = (byte) asc;
        send(status(Pdu.create(Opcode.SCSI_RESPONSE).flags(0x80).byteAt(3, 0x02).itt(p.itt()).data(sense)));
    }

    /** Sets StatSN, ExpCmdSN and MaxCmdSN, advancing StatSN. */
    Pdu status(Pdu p) {
        p.intAt(24, statSn++);
        return window(p);
    }

    Pdu window(Pdu p) {
        return p.intAt(28, expCmdSn).intAt(32, expCmdSn + window - 1);
    }

    void dataIn(int itt, int dataSn, int offset, byte[] data, boolean withStatus) throws IOException {
        Pdu d = Pdu.create(Opcode.DATA_IN).flags(withStatus ? 0x81 : 0).itt(itt).intAt(20, Pdu.RESERVED_TAG);
        d.intAt(36, dataSn).intAt(40, offset).data(data);
        send(withStatus ? status(d) : window(d));
    }

    /** Answers a READ correctly, in PDUs of {@code pduSize} bytes. */
    void answer(Pdu command, long lba, int count, int pduSize) throws IOException {
        byte[] all = content(lba, count);
        int sn = 0;
        for (int at = 0; at < all.length; at += pduSize) {
            int n = Math.min(pduSize, all.length - at);
            dataIn(command.itt(), sn++, at, java.util.Arrays.copyOfRange(all, at, at + n), at + n == all.length);
        }
    }

    synchronized void send(Pdu p) throws IOException {
        codec.write(out, p);
        out.flush();
    }

    @Override
    public void close() throws Exception {
        server.close();
        thread.join(5000);
    }
}
