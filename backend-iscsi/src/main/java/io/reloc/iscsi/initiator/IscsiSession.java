package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.PduCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * One logged-in iSCSI session on one connection, shared by many callers. {@link #execute} gives
 * a command a fresh task tag and the next CmdSN, waits while the CmdSN would be beyond the
 * target's MaxCmdSN, and sends it; one reader thread matches Data-In and SCSI Responses to
 * commands by tag, in whatever order they come, and answers the target's NOP-In pings. At most
 * {@link #MAX_IN_FLIGHT} commands are outstanding.
 *
 * <p>When the socket breaks, the target breaks the protocol, or it sends nothing for the reply
 * timeout while commands wait, the session fails for good: every pending and later command
 * completes with {@link BlockError#IO} naming the reason. Wrong data is never returned.
 */
final class IscsiSession implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(IscsiSession.class);
    /** Commands in flight; more callers wait. */
    static final int MAX_IN_FLIGHT = 32;
    /** Times a command is sent while the target answers with a unit attention. */
    static final int UNIT_ATTENTION_RETRIES = 5;
    /** Times a command is sent while the target answers BUSY or TASK SET FULL, backing off. */
    static final int BUSY_RETRIES = 20;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration LOGOUT_WAIT = Duration.ofSeconds(2);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String portal;
    private final Socket socket;
    private final CountingInputStream in;
    private final OutputStream out;
    private final PduCodec codec;
    private final Negotiated negotiated;
    private final long lunField;
    private final Semaphore slots = new Semaphore(MAX_IN_FLIGHT);
    private final Map<Integer, PendingCommand> pending = new ConcurrentHashMap<>();
    private final AtomicInteger tags = new AtomicInteger();
    /** Held while a PDU is written, and by a command waiting for the window, so CmdSNs go out in order. */
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ReentrantLock windowLock = new ReentrantLock();
    private final Condition windowOpen = windowLock.newCondition();
    private final CompletableFuture<Void> loggedOut = new CompletableFuture<>();
    private final long replyTimeoutMillis;
    private final Thread reader;
    /** Next CmdSN; guarded by sendLock. */
    private int cmdSn;
    private volatile int maxCmdSn;
    private volatile int expStatSn;
    private volatile BlockDeviceException failure;
    private volatile boolean closing;

    private IscsiSession(String portal, Socket socket, CountingInputStream in, OutputStream out, PduCodec codec,
            Negotiated negotiated, int lun, Duration replyTimeout) {
        this.portal = portal;
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.codec = codec;
        this.negotiated = negotiated;
        this.lunField = InitiatorPdus.lunField(lun);
        this.cmdSn = negotiated.cmdSn();
        this.maxCmdSn = negotiated.maxCmdSn();
        this.expStatSn = negotiated.expStatSn();
        this.replyTimeoutMillis = replyTimeout.toMillis();
        this.reader = Thread.ofVirtual().name("iscsi-initiator-" + portal).start(this::readResponses);
    }

    /**
     * Connects to {@code uri}'s portal and logs in to its target.
     *
     * @throws LoginException when the target refuses the login
     * @throws IOException when the portal cannot be reached or breaks the protocol
     */
    static IscsiSession open(IscsiUri uri, Duration replyTimeout) throws IOException {
        Socket socket = connect(uri);
        try {
            CountingInputStream in = new CountingInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 12);
            PduCodec codec = new PduCodec(InitiatorLogin.MAX_RECV_DATA_SEGMENT_LENGTH);
            // Login must not hang on a silent portal.
            socket.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
            InitiatorLogin login = new InitiatorLogin(in, out, codec, isid(), "iSCSI target " + uri.portal());
            Negotiated n = login.login(Optional.of(uri.targetName()), uri.chapUser(), uri.chapSecret());
            // The reader polls with this timeout to notice a silent target while commands wait.
            socket.setSoTimeout((int) Math.max(10, Math.min(replyTimeout.toMillis() / 4, 15_000)));
            log.debug("iSCSI session to {} on {}: {}", uri.targetName(), uri.portal(), n);
            return new IscsiSession(uri.portal(), socket, in, out, codec, n, uri.lun(), replyTimeout);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Opens a discovery session and asks for the targets the portal offers; logs out. */
    static List<String> discover(IscsiUri uri) throws IOException {
        try (Socket socket = connect(uri)) {
            socket.setSoTimeout((int) CONNECT_TIMEOUT.toMillis());
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream());
            PduCodec codec = new PduCodec(1 << 24);
            InitiatorLogin login = new InitiatorLogin(in, out, codec, isid(), "iSCSI portal " + uri.portal());
            Negotiated n = login.login(Optional.empty(), uri.chapUser(), uri.chapSecret());
            return login.sendTargets(n);
        }
    }

    private static Socket connect(IscsiUri uri) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(uri.host(), uri.port()), (int) CONNECT_TIMEOUT.toMillis());
            return socket;
        } catch (IOException e) {
            socket.close();
            throw new IOException("cannot connect to iSCSI portal " + uri.portal() + ": " + e.getMessage(), e);
        }
    }

    /** A random ISID (type 10b, RFC 7143 §11.12.5): every device is its own session. */
    private static byte[] isid() {
        byte[] isid = new byte[6];
        RANDOM.nextBytes(isid);
        isid[0] = (byte) (0x80 | (isid[0] & 0x3f));
        return isid;
    }

    Negotiated negotiated() {
        return negotiated;
    }

    String portal() {
        return portal;
    }

    /**
     * Runs one command that reads up to {@code length} bytes and waits for it.
     *
     * @param exact whether less data than {@code length} is an error
     * @return the data the target sent
     * @throws BlockDeviceException {@link ScsiCheckCondition} on CHECK CONDITION; IO when the
     *     session fails
     */
    byte[] execute(String what, byte[] cdb, int length, boolean exact) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return await(submit(new PendingCommand(what, length, exact), cdb));
            } catch (ScsiCheckCondition e) {
                if (!e.sense().unitAttention() || attempt >= UNIT_ATTENTION_RETRIES) {
                    throw e;
                }
                log.debug("{} on {}: {}; sending it again", what, portal, e.getMessage());
            } catch (TargetBusy e) {
                if (attempt >= BUSY_RETRIES) {
                    throw e;
                }
                log.debug("{}; sending it again", e.getMessage());
                try {
                    Thread.sleep(Math.min(1000, 10L << Math.min(attempt, 10)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new BlockDeviceException(BlockError.IO, "interrupted while " + what + " waited for a busy target", ie);
                }
            }
        }
    }

    /** Sends {@code c} (waiting for a slot and the CmdSN window) without waiting for its end. */
    PendingCommand submit(PendingCommand c, byte[] cdb) throws IOException {
        checkOpen();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(BlockError.IO, "interrupted while waiting to send " + c.what(), e);
        }
        int itt;
        do {
            itt = tags.incrementAndGet();
        } while (itt == Pdu.RESERVED_TAG);
        c.itt(itt);
        pending.put(itt, c);
        if (failure != null) {
            release(c, failure);
            return c;
        }
        sendLock.lock();
        try {
            awaitWindow(c);
            Pdu pdu = InitiatorPdus.readCommand(lunField, itt, cmdSn, expStatSn, cdb, c.expectedLength());
            cmdSn++;
            codec.write(out, pdu);
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            release(c, new BlockDeviceException(BlockError.IO, "interrupted while waiting to send " + c.what(), e));
        } catch (IOException e) {
            fail(new BlockDeviceException(BlockError.IO, "cannot send to iSCSI target " + portal + ": "
                    + describe(e), e));
        } finally {
            sendLock.unlock();
        }
        return c;
    }

    /** Waits until the next CmdSN is inside the target's window. Called holding sendLock. */
    private void awaitWindow(PendingCommand c) throws InterruptedException, IOException {
        windowLock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(replyTimeoutMillis);
            while (!InitiatorPdus.serialLessOrEqual(cmdSn, maxCmdSn)) {
                checkOpen();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("the target kept its command window closed (MaxCmdSN "
                            + Integer.toUnsignedString(maxCmdSn) + ") for " + replyTimeoutMillis + " ms while "
                            + c.what() + " waited");
                }
                windowOpen.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            checkOpen();
        } finally {
            windowLock.unlock();
        }
    }

    /** Waits for {@code c}; a fresh exception so the caller's stack shows where it waited. */
    static byte[] await(PendingCommand c) throws IOException {
        try {
            return c.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(BlockError.IO, "interrupted while waiting for " + c.what(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ScsiCheckCondition s) {
                throw new ScsiCheckCondition(s.sense(), s.getMessage());
            }
            if (cause instanceof TargetBusy b) {
                throw new TargetBusy(b.getMessage());
            }
            if (cause instanceof BlockDeviceException b) {
                throw new BlockDeviceException(b.error(), b.getMessage(), b);
            }
            throw new BlockDeviceException(BlockError.IO, String.valueOf(cause.getMessage()), cause);
        }
    }

    private void checkOpen() throws BlockDeviceException {
        BlockDeviceException f = failure;
        if (f != null) {
            throw new BlockDeviceException(f.error(), f.getMessage(), f);
        }
    }

    private void readResponses() {
        try {
            while (true) {
                long before = in.count();
                Pdu p;
                try {
                    p = codec.read(in);
                } catch (SocketTimeoutException e) {
                    if (in.count() != before) {
                        throw new ProtocolException("the target stopped in the middle of a PDU");
                    }
                    checkSilence();
                    continue;
                }
                if (p == null) {
                    throw new EOFException("iSCSI target " + portal + " closed the connection");
                }
                in.markRead();
                handle(p);
                if (p.opcode() == Opcode.LOGOUT_RESPONSE) {
                    loggedOut.complete(null);
                    return;
                }
            }
        } catch (ProtocolException e) {
            if (!closing) {
                log.warn("iSCSI target {} broke the protocol: {}; dropping the connection", portal, e.getMessage());
            }
            fail(new BlockDeviceException(BlockError.IO, "iSCSI target " + portal + " broke the protocol: "
                    + e.getMessage(), e));
        } catch (IOException e) {
            fail(new BlockDeviceException(BlockError.IO, failure != null ? failure.getMessage()
                    : "connection to iSCSI target " + portal + " lost: " + describe(e), e));
        } catch (RuntimeException e) {
            fail(new BlockDeviceException(BlockError.IO, "iSCSI initiator for " + portal + " failed: " + e, e));
        } finally {
            loggedOut.complete(null);
        }
    }

    /** Fails the session when commands have waited the reply timeout with nothing read meanwhile. */
    private void checkSilence() throws IOException {
        long now = System.nanoTime();
        long timeout = TimeUnit.MILLISECONDS.toNanos(replyTimeoutMillis);
        if (now - in.lastReadNanos() < timeout) {
            return;
        }
        for (PendingCommand c : pending.values()) {
            if (now - c.submittedNanos() >= timeout) {
                throw new IOException("iSCSI target " + portal + " sent nothing for " + replyTimeoutMillis
                        + " ms while " + c.what() + " waited; the connection is considered lost");
            }
        }
    }

    private void handle(Pdu p) throws IOException {
        int op = p.opcode();
        switch (op) {
            case Opcode.DATA_IN -> {
                updateWindow(p, InitiatorPdus.dataInHasStatus(p));
                PendingCommand c = lookup(p);
                if (c.onDataIn(p)) {
                    finish(c);
                }
            }
            case Opcode.SCSI_RESPONSE -> {
                updateWindow(p, true);
                PendingCommand c = lookup(p);
                c.onResponse(p);
                finish(c);
            }
            case Opcode.NOP_IN -> {
                updateWindow(p, p.itt() != Pdu.RESERVED_TAG);
                if (InitiatorPdus.targetTransferTag(p) != Pdu.RESERVED_TAG) {
                    answerPing(p);
                }
            }
            case Opcode.ASYNC_MESSAGE -> {
                updateWindow(p, true);
                int event = p.byteAt(36);
                if (event != 0) {
                    throw new IOException("iSCSI target " + portal + " asked to end the session (asynchronous event "
                            + event + ")");
                }
            }
            case Opcode.LOGOUT_RESPONSE -> updateWindow(p, true);
            case Opcode.REJECT -> throw new ProtocolException("the target rejected a PDU (reason 0x"
                    + Integer.toHexString(p.byteAt(2)) + ")");
            default -> throw new ProtocolException(String.format("unexpected opcode 0x%02x", op));
        }
    }

    private PendingCommand lookup(Pdu p) throws ProtocolException {
        PendingCommand c = pending.get(p.itt());
        if (c == null) {
            throw new ProtocolException(String.format("response with unknown task tag 0x%08x", p.itt()));
        }
        return c;
    }

    private void finish(PendingCommand c) {
        if (pending.remove(c.itt(), c)) {
            slots.release();
        }
    }

    private void release(PendingCommand c, BlockDeviceException e) {
        if (pending.remove(c.itt(), c)) {
            slots.release();
        }
        c.fail(e);
    }

    /** Takes ExpCmdSN/MaxCmdSN (and StatSN when the PDU carries status) from a target PDU. */
    private void updateWindow(Pdu p, boolean hasStatSn) {
        if (hasStatSn) {
            int next = InitiatorPdus.statSn(p) + 1;
            if (InitiatorPdus.serialLessOrEqual(expStatSn, next)) {
                expStatSn = next;
            }
        }
        int exp = InitiatorPdus.expCmdSn(p);
        int max = InitiatorPdus.maxCmdSn(p);
        // MaxCmdSN below ExpCmdSN - 1 is invalid and ignored (RFC 7143 §4.2.2.1).
        if (InitiatorPdus.serialLessOrEqual(exp - 1, max) && !InitiatorPdus.serialLessOrEqual(max, maxCmdSn)) {
            maxCmdSn = max;
            windowLock.lock();
            try {
                windowOpen.signalAll();
            } finally {
                windowLock.unlock();
            }
        }
    }

    /** Answers a NOP-In that wants an answer; from another thread, as the reader must keep reading. */
    private void answerPing(Pdu nopIn) {
        Thread.ofVirtual().start(() -> {
            sendLock.lock();
            try {
                codec.write(out, InitiatorPdus.nopOutReply(nopIn, cmdSn, expStatSn));
                out.flush();
            } catch (IOException e) {
                fail(new BlockDeviceException(BlockError.IO, "cannot answer a NOP-In from iSCSI target " + portal
                        + ": " + describe(e), e));
            } finally {
                sendLock.unlock();
            }
        });
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Fails the session: closes the socket and every pending command. The first reason sticks. */
    private void fail(BlockDeviceException cause) {
        synchronized (this) {
            if (failure == null) {
                failure = cause;
            }
        }
        try {
            socket.close();
        } catch (IOException e) {
            log.debug("closing the connection to {}: {}", portal, e.getMessage());
        }
        windowLock.lock();
        try {
            windowOpen.signalAll();
        } finally {
            windowLock.unlock();
        }
        for (PendingCommand c : pending.values()) {
            release(c, failure);
        }
    }

    /** Logs out (waiting briefly for the answer), closes, fails whatever is still pending. */
    @Override
    public void close() {
        if (failure == null && !closing) {
            closing = true;
            boolean sent = false;
            if (sendLock.tryLock()) {
                try {
                    codec.write(out, InitiatorPdus.logout(Pdu.RESERVED_TAG - 1, cmdSn, expStatSn));
                    out.flush();
                    sent = true;
                } catch (IOException e) {
                    log.debug("logout from {}: {}", portal, e.getMessage());
                } finally {
                    sendLock.unlock();
                }
            }
            if (sent) {
                try {
                    loggedOut.get(LOGOUT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("no logout response from {}", portal);
                }
            }
        }
        closing = true;
        fail(new BlockDeviceException(BlockError.IO, "the session with iSCSI target " + portal + " is closed"));
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Counts bytes read, so a timeout inside a PDU can be told from one between PDUs. */
    static final class CountingInputStream extends FilterInputStream {
        private volatile long count;
        private volatile long lastReadNanos = System.nanoTime();

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        long lastReadNanos() {
            return lastReadNanos;
        }

        void markRead() {
            lastReadNanos = System.nanoTime();
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
