package io.reloc.iscsi.target;

import io.reloc.api.Export;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.PduCodec;
import io.reloc.iscsi.pdu.PduException;
import io.reloc.iscsi.pdu.PduReader;
import io.reloc.iscsi.pdu.SessionParameters;
import io.reloc.iscsi.pdu.TextParameters;
import io.reloc.iscsi.pdu.TextParameters.Pair;
import io.reloc.iscsi.scsi.LogicalUnit;
import io.reloc.iscsi.scsi.ScsiResult;
import io.reloc.iscsi.scsi.Sense;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import io.reloc.core.net.GatheringWriter;
import io.reloc.iscsi.scsi.DataBuffers;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.io.InterruptedIOException;
import java.util.Set;
import java.util.HashSet;

import static java.util.Objects.requireNonNull;

/**
 * One iSCSI connection, which is one session (MaxConnections=1, ErrorRecoveryLevel=0): login,
 * then the full feature phase. The reader thread reads PDUs and keeps all sequencing state
 * (CmdSN window, write tasks waiting for Data-Out, R2Ts); each SCSI command whose data is
 * complete runs on a virtual thread of its own, at most {@code commandWindow} at once. Outgoing
 * PDUs are stamped (StatSN, ExpCmdSN, MaxCmdSN) and queued in one short critical section, so the
 * queue is in StatSN order; whichever thread finds the socket free writes everything queued in
 * one gathering write (see {@link #push}). A command's window slot and its Data-In buffer are
 * given back once its response is written, so queued responses stay bounded. R2Ts are issued to
 * queued write tasks only while their data stays under {@link #SOLICITED_BYTES}, so buffered data
 * stays bounded. Write data goes from the socket straight into the write task's buffer (pooled
 * direct buffers, see {@link PduReader}), and from there to the device: no heap copy, no garbage
 * per write, which kept the collector busy under sustained writes.
 *
 * <p>On a protocol error the connection is closed (session recovery at ErrorRecoveryLevel 0);
 * other connections are not affected.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    /** Largest expected transfer accepted for one command: a little over the block limits. */
    static final int MAX_EXPECTED_LENGTH = LogicalUnit.MAX_TRANSFER_BYTES;
    /** Data-out one connection may have solicited at once (one task may always be solicited). */
    static final long SOLICITED_BYTES = 64L << 20;
    /** ABORTED COMMAND, DATA PHASE ERROR: a Data-Out with the wrong DataSN. */
    private static final Sense DATA_PHASE_ERROR = new Sense(0xb, 0x4b, 0x00, -1);
    /** ABORTED COMMAND, DATA OFFSET ERROR: a Data-Out at the wrong offset or too long. */
    private static final Sense DATA_OFFSET_ERROR = new Sense(0xb, 0x4b, 0x05, -1);
    private static final int LOGIN_TIMEOUT_MS = 30_000;
    /** Bytes read ahead in the full feature phase: many small PDUs, or a large one's header. */
    private static final int READ_BUFFER = 64 << 10;

    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0);
    private static final int REJECT_DATA_DIGEST = 0x02;
    private static final int REJECT_SNACK = 0x03;
    private static final int REJECT_PROTOCOL_ERROR = 0x04;
    private static final int REJECT_NOT_SUPPORTED = 0x05;
    private static final int REJECT_INVALID_FIELD = 0x09;

    private final SocketChannel channel;
    private final IscsiTarget target;
    private final String peer;
    private final PduCodec codec;
    /** Reads the full feature phase; set when login completes. */
    private PduReader reader;
    private final Map<Integer, WriteTask> pending = new HashMap<>();
    private final Deque<WriteTask> awaitingR2T = new ArrayDeque<>();
    /** Tags of write tasks ended early, whose remaining Data-Out PDUs are dropped. */
    private final Set<Integer> discarded = new HashSet<>();

    /** Only to check that output is set up; PDUs go out with gathering channel writes. */
    private boolean outputReady;
    private final DataBuffers buffers;
    private SessionParameters params;
    private LogicalUnit unit;
    private Export export;
    private boolean discovery;
    /** Guards StatSN and the order of {@link #outgoing}: a PDU is stamped and queued under it. */
    private final Object stampLock = new Object();
    /** PDUs to write, in StatSN order; a failed write closes the channel and drops what is queued. */
    private final GatheringWriter<Outgoing> outgoing = new GatheringWriter<>(new Pdus(), 3);
    private final ThreadFactory workers = Thread.ofVirtual().factory();
    /** Commands executing or waiting for their response to be written. */
    private Semaphore inFlight;
    /** Tags of commands executing now, for ABORT TASK. */
    private final Set<Integer> running = ConcurrentHashMap.newKeySet();
    private int statSn;
    /** Written by the reader thread only; read when any response is stamped. */
    private volatile int expCmdSn;
    private int nextTtt = 1;
    /** Write tasks with R2Ts out; together they may buffer at most {@link #SOLICITED_BYTES}. */
    private final Set<WriteTask> soliciting = new java.util.LinkedHashSet<>();
    private long solicitedBytes;
    private boolean closing;

    Connection(SocketChannel channel, IscsiTarget target, String peer, DataBuffers buffers) {
        this.channel = requireNonNull(channel, "channel is null");
        this.buffers = requireNonNull(buffers, "buffers is null");
        this.target = requireNonNull(target, "target is null");
        this.peer = requireNonNull(peer, "peer is null");
        this.codec = new PduCodec(8192);
    }

    /** Serves the connection until logout, a protocol error or the peer closing; never throws. */
    void serve() {
        // The catch blocks may still answer (Reject), so the socket closes after them.
        try (channel) {
            serveOpen();
            flush();
        } catch (IOException e) {
            log.debug("{}: closing failed: {}", peer, e.toString());
        }
    }

    private void serveOpen() {
        try {
            channel.socket().setTcpNoDelay(true);
            // The socket adaptor's stream honours SO_TIMEOUT, which bounds the login. It is not
            // buffered, so no byte after the last login PDU is consumed: the full feature phase
            // reads the channel itself from there.
            InputStream in = channel.socket().getInputStream();
            outputReady = true;
            if (!login(in)) {
                return;
            }
            channel.socket().setSoTimeout(0);
            reader = new PduReader(channel, READ_BUFFER, params.targetMaxRecvDataSegmentLength());
            reader.digests(params.headerDigest(), params.dataDigest());
            fullFeature();
        } catch (SocketTimeoutException e) {
            log.info("{}: login timed out, closing", peer);
        } catch (EOFException e) {
            log.debug("{}: closed by the initiator inside a PDU", peer);
        } catch (PduException e) {
            log.warn("{}: {}; closing the connection", peer, e.getMessage());
            rejectQuietly(e);
        } catch (IOException e) {
            if (!target.isClosed()) {
                log.debug("{}: connection ended: {}", peer, e.toString());
            }
        } catch (RuntimeException e) {
            log.error("{}: internal error, closing the connection", peer, e);
        }
    }

    private boolean login(InputStream in) throws IOException {
        Login login = new Login(target.config(), target.exports(), target.nextTsih(), new SecureRandom());
        long deadline = System.nanoTime() + LOGIN_TIMEOUT_MS * 1_000_000L;
        while (true) {
            // The whole login has one deadline, so trickling bytes does not keep a slot forever.
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new SocketTimeoutException("login took longer than " + LOGIN_TIMEOUT_MS + " ms");
            }
            channel.socket().setSoTimeout((int) left);
            Pdu request = codec.read(in);
            if (request == null) {
                return false;
            }
            Pdu response = login.handle(request);
            send(response);
            if (login.failure().isPresent()) {
                log.info("{}: login refused ({}) for initiator '{}'", peer, login.failure().get(),
                        login.initiatorName());
                return false;
            }
            if (login.complete()) {
                params = login.parameters();
                statSn = login.nextStatSn();
                expCmdSn = login.expCmdSn();
                inFlight = new Semaphore(target.config().commandWindow());
                discovery = login.discovery();
                codec.digests(params.headerDigest(), params.dataDigest());
                codec.maxRecvDataSegmentLength(params.targetMaxRecvDataSegmentLength());
                if (!discovery) {
                    export = login.export().orElseThrow();
                    unit = target.logicalUnit(export, buffers);
                }
                log.info("{}: {} session for initiator '{}'{}{}{}", peer, discovery ? "discovery" : "normal",
                        login.initiatorName(), discovery ? "" : " on export '" + export.name() + "'",
                        params.headerDigest() ? ", header digests" : "", params.dataDigest() ? ", data digests" : "");
                return true;
            }
        }
    }

    private void fullFeature() throws IOException {
        while (!closing && !target.isClosed()) {
            Pdu pdu = reader.readHeader();
            if (pdu == null) {
                return;
            }
            dispatch(pdu);
        }
    }

    /**
     * Handles a PDU whose header was read. SCSI commands and Data-Out read their data segment
     * themselves (into the write task's buffer, or skipping it); other PDUs get theirs first.
     */
    private void dispatch(Pdu pdu) throws IOException {
        switch (pdu.opcode()) {
            case Opcode.SCSI_COMMAND -> scsiCommand(pdu);
            case Opcode.DATA_OUT -> dataOut(pdu);
            default -> {
                reader.readData();
                dispatchWithData(pdu);
            }
        }
    }

    private void dispatchWithData(Pdu pdu) throws IOException {
        switch (pdu.opcode()) {
            case Opcode.NOP_OUT -> nopOut(pdu);
            case Opcode.TASK_MANAGEMENT -> taskManagement(pdu);
            case Opcode.TEXT -> text(pdu);
            case Opcode.LOGOUT -> logout(pdu);
            case Opcode.SNACK -> reject(pdu, REJECT_SNACK);
            case Opcode.LOGIN -> protocolError(pdu, "a Login request in full feature phase");
            default -> reject(pdu, REJECT_NOT_SUPPORTED);
        }
    }

    /**
     * Applies the CmdSN window to a non-immediate request (RFC 7143 §4.2.2.1): out of window it is
     * dropped silently; inside it, it is accepted and ExpCmdSN moves past it.
     */
    private boolean acceptCmdSn(Pdu pdu) {
        int cmdSn = pdu.intAt(24);
        if (pdu.immediate()) {
            return true;
        }
        int maxCmdSn = maxCmdSn();
        if (serialLess(cmdSn, expCmdSn) || serialLess(maxCmdSn, cmdSn)) {
            log.debug("{}: dropping CmdSN {} outside [{}, {}]", peer, cmdSn, expCmdSn, maxCmdSn);
            return false;
        }
        expCmdSn = cmdSn + 1;
        return true;
    }

    /** RFC 1982 serial number arithmetic on 32 bits. */
    static boolean serialLess(int a, int b) {
        return a != b && (a - b) < 0;
    }

    private int maxCmdSn() {
        return expCmdSn + target.config().commandWindow() - 1;
    }

    private void nopOut(Pdu pdu) throws IOException {
        if (!acceptCmdSn(pdu)) {
            return;
        }
        if (pdu.itt() == Pdu.RESERVED_TAG) {
            return; // an answer to a NOP-In ping, which this target does not send
        }
        Pdu r = Pdu.create(Opcode.NOP_IN).flags(0x80);
        r.longAt(8, pdu.lun()).itt(pdu.itt()).intAt(20, Pdu.RESERVED_TAG);
        r.data(pdu.data().clone());
        sendWithStatus(r);
    }

    private void scsiCommand(Pdu pdu) throws IOException {
        if (discovery) {
            protocolError(pdu, "a SCSI command in a discovery session");
            return;
        }
        if (!acceptCmdSn(pdu)) {
            reader.skipData();
            return;
        }
        discarded.remove(pdu.itt());
        boolean write = (pdu.flags() & 0x20) != 0;
        int expected = pdu.intAt(20);
        byte[] cdb = pdu.bytes(32, 16);
        int immediate = pdu.dataSegmentLength();
        if (immediate > 0 && (!write || !params.immediateData() || immediate > expected
                || immediate > params.firstBurstLength())) {
            protocolError(pdu, "immediate data the command may not carry");
            return;
        }
        if (pdu.lun() != 0 && (cdb[0] & 0xff) != 0xa0 && (cdb[0] & 0xff) != 0x12) {
            reader.skipData();
            respond(pdu.itt(), pdu.lun(), cdb, expected, write,
                    ScsiResult.check(new Sense(0x5, 0x25, 0x00, -1)), false);
            return;
        }
        if (expected < 0 || expected > MAX_EXPECTED_LENGTH) {
            reader.skipData();
            respond(pdu.itt(), pdu.lun(), cdb, 0, write, ScsiResult.check(Sense.INVALID_FIELD_IN_CDB), false);
            return;
        }
        if (!write || expected == 0) {
            reader.skipData(); // nothing: immediate data needs the W bit and an expected length
            execute(pdu.itt(), pdu.lun(), cdb, expected, false, null);
            return;
        }
        if (pending.containsKey(pdu.itt())) {
            protocolError(pdu, "a second command with a task tag in use");
            return;
        }
        if (!pdu.isFinal() && params.initialR2T()) {
            protocolError(pdu, "unsolicited data announced although InitialR2T=Yes");
            return;
        }
        // A task that will be solicited at once gets its whole buffer now, saving a copy later.
        boolean solicitedNow = awaitingR2T.isEmpty()
                && (soliciting.isEmpty() || solicitedBytes + expected <= SOLICITED_BYTES);
        WriteTask task = new WriteTask(pdu.itt(), pdu.lun(), cdb, expected,
                solicitedNow ? expected : params.firstBurstLength(), buffers);
        reader.readData(task.reserve(immediate));
        task.received(immediate);
        task.unsolicitedOpen = !pdu.isFinal();
        pending.put(task.itt, task);
        advance(task);
    }

    /** Runs a write task whose data is complete, or queues it for an R2T. */
    private void advance(WriteTask task) throws IOException {
        if (task.unsolicitedOpen) {
            return;
        }
        if (task.complete()) {
            pending.remove(task.itt);
            stopSoliciting(task);
            execute(task.itt, task.lun, task.cdb, task.expectedLength, true, task);
            solicitNext();
            return;
        }
        if (soliciting.contains(task)) {
            sendR2T(task);
        } else if (!awaitingR2T.contains(task)) {
            awaitingR2T.add(task);
            solicitNext();
        }
    }

    /** Sends first R2Ts to queued tasks while the solicited data stays within its bound. */
    private void solicitNext() throws IOException {
        while (!awaitingR2T.isEmpty() && (soliciting.isEmpty()
                || solicitedBytes + awaitingR2T.peek().expectedLength <= SOLICITED_BYTES)) {
            WriteTask next = awaitingR2T.poll();
            if (pending.get(next.itt) == next) {
                soliciting.add(next);
                solicitedBytes += next.expectedLength;
                sendR2T(next);
            }
        }
    }

    private void stopSoliciting(WriteTask task) {
        if (soliciting.remove(task)) {
            solicitedBytes -= task.expectedLength;
        }
    }

    private void sendR2T(WriteTask task) throws IOException {
        int length = Math.min(params.maxBurstLength(), task.expectedLength - task.received);
        task.ttt = nextTtt++ & 0x7fffffff;
        task.burstEnd = task.received + length;
        task.burstDataSn = 0;
        Pdu r = Pdu.create(Opcode.R2T).flags(0x80);
        r.longAt(8, task.lun).itt(task.itt).intAt(20, task.ttt);
        r.intAt(36, task.r2tSn++).intAt(40, task.received).intAt(44, length);
        synchronized (stampLock) {
            r.intAt(24, statSn).intAt(28, expCmdSn).intAt(32, maxCmdSn());
            queue(r);
        }
        outgoing.push();
    }

    private void dataOut(Pdu pdu) throws IOException {
        WriteTask task = pending.get(pdu.itt());
        int ttt = pdu.intAt(20);
        if (task == null) {
            if (ttt == Pdu.RESERVED_TAG || discarded.contains(pdu.itt())) {
                reader.skipData(); // unsolicited data of a command that was refused or aborted
                return;
            }
            reader.readData();
            reject(pdu, REJECT_INVALID_FIELD);
            return;
        }
        int dataSn = pdu.intAt(36);
        int offset = pdu.intAt(40);
        int length = pdu.dataSegmentLength();
        if (ttt == Pdu.RESERVED_TAG) {
            if (!task.unsolicitedOpen) {
                protocolError(pdu, "unsolicited Data-Out after the final one");
                return;
            }
            if (dataSn != task.unsolicitedDataSn) {
                reader.skipData();
                abandon(task, DATA_PHASE_ERROR, "unsolicited Data-Out with DataSN " + dataSn + ", expected "
                        + task.unsolicitedDataSn);
                return;
            }
            if (offset != task.received
                    || task.received + length > Math.min(task.expectedLength, params.firstBurstLength())) {
                reader.skipData();
                abandon(task, DATA_OFFSET_ERROR, "unsolicited Data-Out at offset " + offset + " with "
                        + length + " bytes, expected offset " + task.received);
                return;
            }
            task.unsolicitedDataSn++;
            reader.readData(task.reserve(length));
            task.received(length);
            if (pdu.isFinal()) {
                task.unsolicitedOpen = false;
            }
            advance(task);
            return;
        }
        if (ttt != task.ttt) {
            reader.readData();
            reject(pdu, REJECT_INVALID_FIELD);
            return;
        }
        if (dataSn != task.burstDataSn) {
            reader.skipData();
            abandon(task, DATA_PHASE_ERROR, "Data-Out with DataSN " + dataSn + ", expected " + task.burstDataSn);
            return;
        }
        if (offset != task.received || task.received + length > task.burstEnd) {
            reader.skipData();
            abandon(task, DATA_OFFSET_ERROR, "Data-Out at offset " + offset + " with " + length
                    + " bytes, expected offset " + task.received);
            return;
        }
        task.burstDataSn++;
        reader.readData(task.reserve(length));
        task.received(length);
        if (pdu.isFinal() || task.received == task.burstEnd) {
            if (task.received != task.burstEnd) {
                abandon(task, DATA_OFFSET_ERROR, "a Data-Out burst ended before the length its R2T asked for");
                return;
            }
            task.ttt = -1;
            advance(task);
        }
    }

    /**
     * Ends a write task whose Data-Out broke sequence with CHECK CONDITION, without writing; its
     * remaining Data-Out PDUs are dropped. The connection and other tasks go on.
     */
    private void abandon(WriteTask task, Sense sense, String why) throws IOException {
        log.info("{}: task 0x{} failed: {}", peer, Integer.toHexString(task.itt), why);
        pending.remove(task.itt);
        awaitingR2T.remove(task);
        discarded.add(task.itt);
        task.release();
        respond(task.itt, task.lun, task.cdb, task.expectedLength, true, ScsiResult.check(sense), false);
        stopSoliciting(task);
        solicitNext();
    }

    /**
     * Runs a command on a virtual thread of its own; blocks while the window is full. The write
     * task's buffer (if any) goes back to the pool when the command is done; the window slot and
     * the Data-In buffer once the response is written.
     */
    private void execute(int itt, long lun, byte[] cdb, int expected, boolean write, WriteTask task)
            throws IOException {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the command window was full");
        }
        running.add(itt);
        workers.newThread(() -> {
            ScsiResult result = null;
            boolean queued = false;
            try {
                result = unit.execute(cdb, task == null ? NO_DATA : task.data());
                respond(itt, lun, cdb, expected, write, result, true);
                queued = true;
            } catch (RuntimeException e) {
                log.error("{}: internal error in a command, closing the connection", peer, e);
                closeQuietly();
            } finally {
                if (task != null) {
                    task.release();
                }
                running.remove(itt);
                if (!queued) {
                    if (result != null) {
                        buffers.release(result.data());
                    }
                    inFlight.release();
                }
            }
        }).start();
    }

    /** Waits until no command executes, so a response that must come last does. */
    private void drain() throws IOException {
        int window = target.config().commandWindow();
        try {
            inFlight.acquire(window);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for commands to finish");
        }
        inFlight.release(window);
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
    }

    /**
     * Sends data-in and status, with residuals (RFC 7143 §11.4.5) against the expected length.
     * With {@code done}, the command's window slot and {@code result}'s data buffer go with the
     * last PDU, given back once it is written.
     */
    private void respond(int itt, long lun, byte[] cdb, int expected, boolean write, ScsiResult result,
                         boolean done) {
        ByteBuffer data = result.data().duplicate();
        int dataLength = data.remaining();
        long dataOut = unit.dataOutLength(cdb);
        // The W bit may be clear with an expected length of 0; the CDB still says data-out.
        long transferLength = dataOut > 0 || write ? dataOut : dataLength;
        int residualFlags = 0;
        long residual = 0;
        if (transferLength > expected) {
            residualFlags = 0x04; // overflow
            residual = transferLength - expected;
        } else if (transferLength < expected) {
            residualFlags = 0x02; // underflow
            residual = expected - transferLength;
        }
        int send = (int) Math.min(dataLength, expected);
        boolean good = result.status() == ScsiResult.GOOD;
        int chunk = params.initiatorMaxRecvDataSegmentLength();
        ByteBuffer release = done ? result.data() : null;
        Pdu r = null;
        if (!good || send == 0) {
            r = Pdu.create(Opcode.SCSI_RESPONSE).flags(0x80 | residualFlags);
            r.byteAt(2, 0).byteAt(3, result.status()).itt(itt);
            r.intAt(36, (send + chunk - 1) / chunk).intAt(44, (int) residual);
            if (result.sense().isPresent()) {
                byte[] sense = result.sense().get().fixedFormat();
                byte[] segment = new byte[2 + sense.length];
                segment[0] = (byte) (sense.length >>> 8);
                segment[1] = (byte) sense.length;
                System.arraycopy(sense, 0, segment, 2, sense.length);
                r.data(segment);
            }
        }
        synchronized (stampLock) {
            int dataSn = 0;
            for (int offset = 0; offset < send; offset += chunk) {
                int n = Math.min(chunk, send - offset);
                boolean last = offset + n == send;
                boolean burstEnd = last || (offset + n) % params.maxBurstLength() == 0;
                Pdu d = Pdu.create(Opcode.DATA_IN);
                int flags = burstEnd ? 0x80 : 0;
                d.longAt(8, lun).itt(itt).intAt(20, Pdu.RESERVED_TAG);
                d.intAt(36, dataSn++).intAt(40, offset);
                boolean withStatus = last && good;
                if (withStatus) {
                    // Status travels in the last Data-In when there is no sense data (S bit).
                    d.flags(flags | 0x01 | residualFlags).byteAt(3, ScsiResult.GOOD).intAt(44, (int) residual);
                    d.intAt(24, statSn++);
                } else {
                    d.flags(flags);
                }
                d.intAt(28, expCmdSn).intAt(32, maxCmdSn());
                int base = data.position();
                ByteBuffer segment = data.duplicate().position(base + offset).limit(base + offset + n);
                outgoing.queue(new Outgoing(codec.frame(d, segment), withStatus ? release : null, withStatus && done));
            }
            if (r != null) {
                r.intAt(24, statSn++).intAt(28, expCmdSn).intAt(32, maxCmdSn());
                outgoing.queue(new Outgoing(codec.frame(r, ByteBuffer.wrap(r.data())), release, done));
            }
        }
        outgoing.push();
    }

    private void taskManagement(Pdu pdu) throws IOException {
        if (!acceptCmdSn(pdu)) {
            return;
        }
        int function = pdu.flags() & 0x7f;
        int response = switch (function) {
            case 1 -> { // ABORT TASK
                int referenced = pdu.intAt(20);
                WriteTask task = pending.remove(referenced);
                if (task == null) {
                    if (running.contains(referenced)) {
                        // Executing commands are not interrupted: let it finish and answer first.
                        drain();
                    }
                    yield 1; // completed: the task does not exist
                }
                awaitingR2T.remove(task);
                discarded.add(task.itt); // its Data-Out may still be on the way
                task.release();
                stopSoliciting(task);
                solicitNext();
                yield 0;
            }
            case 2, 4, 5 -> { // ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET
                if (pdu.lun() != 0) {
                    yield 2;
                }
                discarded.addAll(pending.keySet());
                pending.values().forEach(WriteTask::release);
                pending.clear();
                awaitingR2T.clear();
                soliciting.clear();
                solicitedBytes = 0;
                drain();
                yield 0;
            }
            case 8 -> 4; // TASK REASSIGN needs ErrorRecoveryLevel 2
            default -> 5; // CLEAR ACA, target resets: not supported
        };
        Pdu r = Pdu.create(Opcode.TASK_MANAGEMENT_RESPONSE).flags(0x80);
        r.byteAt(2, response).itt(pdu.itt());
        sendWithStatus(r);
    }

    private void text(Pdu pdu) throws IOException {
        if (!acceptCmdSn(pdu)) {
            return;
        }
        List<Pair> request;
        try {
            request = TextParameters.parse(pdu.data());
        } catch (IllegalArgumentException e) {
            reject(pdu, REJECT_PROTOCOL_ERROR);
            return;
        }
        List<Pair> answer = new ArrayList<>();
        for (Pair p : request) {
            if (p.key().equals("SendTargets")) {
                for (Export e : target.exports().list()) {
                    boolean match = p.value().equals("All") ? discovery || e == export
                            : p.value().isEmpty() ? e == export
                            : p.value().equals(target.config().targetName(e.name()));
                    if (match) {
                        answer.add(new Pair("TargetName", target.config().targetName(e.name())));
                        answer.add(new Pair("TargetAddress", targetAddress()));
                    }
                }
            } else {
                answer.add(new Pair(p.key(), "NotUnderstood"));
            }
        }
        byte[] data = TextParameters.encode(answer);
        if (data.length > params.initiatorMaxRecvDataSegmentLength()) {
            log.warn("{}: SendTargets answer of {} bytes cut to the initiator's MaxRecvDataSegmentLength", peer,
                    data.length);
            data = Arrays.copyOf(data, params.initiatorMaxRecvDataSegmentLength());
        }
        Pdu r = Pdu.create(Opcode.TEXT_RESPONSE).flags(0x80);
        r.itt(pdu.itt()).intAt(20, Pdu.RESERVED_TAG).data(data);
        sendWithStatus(r);
    }

    private String targetAddress() {
        InetSocketAddress local = (InetSocketAddress) channel.socket().getLocalSocketAddress();
        String host = local.getAddress().getHostAddress();
        if (host.indexOf(':') >= 0) {
            host = "[" + host + "]";
        }
        return host + ":" + local.getPort() + ",1";
    }

    private void logout(Pdu pdu) throws IOException {
        if (!acceptCmdSn(pdu)) {
            return;
        }
        int reason = pdu.flags() & 0x7f;
        drain();
        Pdu r = Pdu.create(Opcode.LOGOUT_RESPONSE).flags(0x80);
        r.byteAt(2, reason == 2 ? 2 : 0).itt(pdu.itt());
        r.shortAt(40, params.defaultTime2Wait()).shortAt(42, params.defaultTime2Retain());
        sendWithStatus(r);
        closing = true;
    }

    private void protocolError(Pdu pdu, String what) throws IOException {
        log.warn("{}: protocol error: {}; closing the connection", peer, what);
        reject(pdu, REJECT_PROTOCOL_ERROR);
        closing = true;
    }

    private void reject(Pdu pdu, int reason) throws IOException {
        Pdu r = Pdu.create(Opcode.REJECT).flags(0x80);
        r.byteAt(2, reason).itt(Pdu.RESERVED_TAG);
        r.data(pdu.bhs().clone());
        sendWithStatus(r);
    }

    private void rejectQuietly(PduException e) {
        if (e.pdu() == null || !outputReady || params == null) {
            return;
        }
        try {
            reject(e.pdu(), e.kind() == PduException.Kind.DATA_DIGEST ? REJECT_DATA_DIGEST : REJECT_PROTOCOL_ERROR);
        } catch (IOException ignored) {
            // The connection is being closed anyway.
        }
    }

    /** Sends a PDU that carries status: it takes the next StatSN and the current window. */
    private void sendWithStatus(Pdu pdu) {
        synchronized (stampLock) {
            pdu.intAt(24, statSn++).intAt(28, expCmdSn).intAt(32, maxCmdSn());
            queue(pdu);
        }
        outgoing.push();
    }

    private void send(Pdu pdu) {
        synchronized (stampLock) {
            queue(pdu);
        }
        outgoing.push();
    }

    /** Frames a stamped PDU and queues it; callers hold {@link #stampLock}, so the queue keeps StatSN order. */
    private void queue(Pdu pdu) {
        outgoing.queue(new Outgoing(codec.frame(pdu, ByteBuffer.wrap(pdu.data())), null, false));
    }

    /** Writes what is queued, after a thread writing now: before the socket closes. */
    private void flush() {
        outgoing.flush();
    }

    /** How PDUs reach the socket, and what is given back once they did. */
    private final class Pdus implements GatheringWriter.Sink<Outgoing> {
        @Override
        public int buffers(Outgoing message, ByteBuffer[] parts, int at) {
            int p = at;
            for (ByteBuffer b : message.frame()) {
                if (b.hasRemaining()) {
                    parts[p++] = b;
                }
            }
            return p;
        }

        @Override
        public void write(ByteBuffer[] parts, int count) throws IOException {
            int first = 0;
            while (first < count) {
                channel.write(parts, first, count - first);
                while (first < count && !parts[first].hasRemaining()) {
                    first++;
                }
            }
        }

        @Override
        public void done(Outgoing message) {
            if (message.release() != null) {
                buffers.release(message.release());
            }
            if (message.slot()) {
                inFlight.release();
            }
        }

        @Override
        public void failed(IOException e) {
            log.debug("{}: cannot send, closing: {}", peer, e.toString());
            closeQuietly();
        }
    }

    /**
     * A framed PDU waiting to be written; {@code release} (or null) goes back to the pool and
     * {@code slot} gives back a command window slot once it is written.
     */
    private record Outgoing(ByteBuffer[] frame, ByteBuffer release, boolean slot) {}
}
