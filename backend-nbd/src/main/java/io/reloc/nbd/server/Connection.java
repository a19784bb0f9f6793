package io.reloc.nbd.server;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.net.GatheringWriter;
import io.reloc.nbd.channel.BatchEncoder;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.Errno;

import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.RelocTracking;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.protocol.SimpleReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import static io.reloc.nbd.protocol.Errno.EINVAL;
import static io.reloc.nbd.protocol.Errno.EIO;
import static io.reloc.nbd.protocol.Errno.ENOSPC;
import static io.reloc.nbd.protocol.Errno.EOVERFLOW;
import static io.reloc.nbd.protocol.Errno.EPERM;
import static io.reloc.nbd.protocol.NbdConstants.*;
import static io.reloc.nbd.server.BufferPool.HEADROOM;
import static java.util.Objects.requireNonNull;

/**
 * The transmission phase of one connection. One thread ({@link #serve()}) reads requests; each
 * request is served on its own virtual thread, at most {@code maxRequestsInFlight} at once (then
 * the reader stops reading: back-pressure). Replies go out whole, never interleaved, in completion
 * order; whichever thread finds the socket free writes every queued reply (see {@link #send}).
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    /** An oversized WRITE payload up to this size is read and thrown away; beyond it we disconnect. */
    static final long DISCARD_LIMIT = 256L << 20;
    /** Most extents one BLOCK_STATUS reply carries; a prefix of the range is a valid answer. */
    private static final int MAX_EXTENTS = 64 * 1024;
    /** Longest error message sent in an ERROR chunk; fits the smallest pooled buffer. */
    private static final int MAX_MESSAGE = 256;
    /** Enough for a burst of small requests; large payloads are read straight into their buffers. */
    private static final int READ_AHEAD = 64 * 1024;
    /** Step of the zero-writing fallback of WRITE_ZEROES. */
    private static final int ZERO_STEP = 1 << 20;

    private final SocketChannel channel;
    private final Session session;
    private final BlockDevice device;
    private final BufferPool pool;
    private final String peer;
    private final long size;
    private final int minimumBlock;
    private final int maxPayload;
    private final int maxRequests;
    private final int maxBytes;
    private final Semaphore requests;
    private final Semaphore bytes;
    private final Semaphore serverBytes;
    private final int maxServerBytes;
    private final ReplyPacers pacers;
    /** The client's address, without port: connections from one host share its pacing groups. */
    private final String host;
    /** This connection's pacing group after a RELOC_PACE, else null (replies go at once). */
    private volatile ReplyPacer pace;
    /** The group of {@link #pace}; guarded by this. */
    private int paceGroup;
    private final GatheringWriter<Outgoing> replies = new GatheringWriter<>(new Replies(), 1);
    private final ThreadFactory workers = Thread.ofVirtual().factory();
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_AHEAD).flip();
    private final CountDownLatch finished = new CountDownLatch(1);

    /** Rejected requests logged at info level per connection; later ones at debug level. */
    private static final int LOGGED_REJECTIONS = 20;
    private long rejections;

    /** Largest piece of a reply written at once; progress is recorded between pieces. */
    private static final int WRITE_STEP = 1 << 20;
    private volatile boolean writing;
    private volatile long lastProgress;
    private volatile boolean stopping;

    Connection(SocketChannel channel, Session session, BufferPool pool, Semaphore serverBytes, NbdServerConfig config,
               String peer, ReplyPacers pacers) {
        this.channel = requireNonNull(channel, "channel is null");
        this.session = requireNonNull(session, "session is null");
        this.pool = requireNonNull(pool, "pool is null");
        this.peer = requireNonNull(peer, "peer is null");
        this.device = session.export().device();
        this.size = device.size();
        this.minimumBlock = device.blockSizes().minimum();
        this.maxPayload = NbdServer.maxPayload(device.blockSizes());
        this.maxRequests = config.maxRequestsInFlight();
        this.maxBytes = config.maxBytesInFlight();
        this.requests = new Semaphore(maxRequests);
        this.bytes = new Semaphore(maxBytes);
        this.serverBytes = requireNonNull(serverBytes, "serverBytes is null");
        this.maxServerBytes = config.totalBytesInFlight();
        this.pacers = requireNonNull(pacers, "pacers is null");
        this.host = host(channel);
    }

    private static String host(SocketChannel channel) {
        try {
            return channel.getRemoteAddress() instanceof java.net.InetSocketAddress a
                    ? a.getAddress().getHostAddress() : "local";
        } catch (IOException e) {
            return "?";
        }
    }

    /** Reads and serves requests until DISC, end of stream, a protocol error or {@link #stop()}. */
    void serve() {
        try {
            while (true) {
                Request r = nextRequest();
                if (r == null) {
                    log.debug("{}: client closed the connection", peer);
                    break;
                }
                if (r.type() == CMD_DISC) {
                    log.debug("{}: DISC", peer);
                    break;
                }
                if (!dispatch(r)) {
                    break;
                }
            }
        } catch (NbdProtocolException e) {
            log.warn("{}: {}; closing the connection", peer, e.getMessage());
        } catch (EOFException e) {
            log.warn("{}: {}", peer, e.getMessage());
        } catch (ClosedChannelException e) {
            log.debug("{}: connection closed", peer);
        } catch (IOException e) {
            if (!stopping && !replies.broken()) {
                log.warn("{}: read failed, closing the connection: {}", peer, e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            awaitIdle();
            closeChannel();
            ReplyPacer p = pace;
            if (p != null) {
                pacers.leave(host, p);
            }
            finished.countDown();
        }
    }

    boolean uses(SocketChannel c) {
        return channel == c;
    }

    /** Stops reading new requests; those in flight still complete. */
    void stop() {
        stopping = true;
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            closeChannel();
        }
    }

    /** Waits up to {@code timeoutNanos} for {@link #serve()} to finish, then closes the socket regardless. */
    void awaitFinished(long timeoutNanos) {
        try {
            finished.await(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeChannel();
    }

    // ---- reading

    /** The next request header, or null at a clean end of stream. */
    private Request nextRequest() throws IOException {
        if (!fill(REQUEST_HEADER_SIZE)) {
            if (in.hasRemaining()) {
                throw new EOFException("the client closed the connection after sending " + in.remaining()
                        + " of the " + REQUEST_HEADER_SIZE + " bytes of a request header");
            }
            return null;
        }
        return Request.decode(in);
    }

    /** Buffers at least {@code n} bytes; false at end of stream before that. */
    private boolean fill(int n) throws IOException {
        if (in.remaining() >= n) {
            return true;
        }
        in.compact();
        try {
            while (in.position() < n) {
                if (channel.read(in) < 0) {
                    return false;
                }
            }
        } finally {
            in.flip();
        }
        return true;
    }

    /** Reads a WRITE payload into {@code dst}, from the read-ahead first. */
    private void readPayload(ByteBuffer dst) throws IOException {
        int n = Math.min(in.remaining(), dst.remaining());
        dst.put(dst.position(), in, in.position(), n);
        dst.position(dst.position() + n);
        in.position(in.position() + n);
        ChannelIo.readFully(channel, dst, "a WRITE payload");
    }

    /** Reads and drops {@code n} payload bytes, in read-ahead-sized steps (bounded memory). */
    private void discard(long n) throws IOException {
        while (n > 0) {
            if (!in.hasRemaining() && !fill(1)) {
                throw new EOFException("the client closed the connection in the middle of a WRITE payload");
            }
            int step = (int) Math.min(n, in.remaining());
            in.position(in.position() + step);
            n -= step;
        }
    }

    // ---- dispatching

    /** Starts serving one request; false when the connection must close. */
    private boolean dispatch(Request r) throws IOException, InterruptedException {
        if (r.type() == CMD_WRITE) {
            return dispatchWrite(r);
        }
        int errno = switch (r.type()) {
            case CMD_READ -> checkRead(r);
            case CMD_RELOC_READ -> checkRelocRead(r);
            case CMD_RELOC_RATE -> checkRelocRate(r);
            case CMD_RELOC_PACE -> checkRelocPace(r);
            case CMD_FLUSH -> checkFlush(r);
            case CMD_TRIM -> checkTrim(r);
            case CMD_CACHE -> checkCache(r);
            case CMD_WRITE_ZEROES -> checkWriteZeroes(r);
            case CMD_BLOCK_STATUS -> checkBlockStatus(r);
            case CMD_RELOC_TRACK, CMD_RELOC_DIRTY, CMD_RELOC_UNTRACK -> checkTracking(r);
            default -> reject(r, EINVAL, "unknown command");
        };
        if (errno != 0) {
            acquire(0); // an error reply waiting for the socket counts as a request in flight
            send(errorReply(r, errno, "the request was rejected (" + Errno.name(errno) + ")"), 0);
            return true;
        }
        int payload = r.type() == CMD_READ || r.type() == CMD_RELOC_READ ? (int) r.length() : 0;
        acquire(payload);
        start(r, null, payload);
        return true;
    }

    private boolean dispatchWrite(Request r) throws IOException, InterruptedException {
        int errno = checkWrite(r);
        if (errno != 0) {
            if (r.length() > DISCARD_LIMIT) {
                log.warn("{}: WRITE cookie {} announces a {}-byte payload, too large to skip; closing the connection",
                        peer, r.cookie(), r.length());
                return false;
            }
            // The payload must be consumed to find the next header.
            discard(r.length());
            acquire(0);
            send(errorReply(r, errno, "the write was rejected (" + Errno.name(errno) + ")"), 0);
            return true;
        }
        int length = (int) r.length();
        acquire(length);
        ByteBuffer buffer = pool.acquire(length);
        try {
            readPayload(buffer);
        } catch (IOException e) {
            pool.release(buffer);
            release(length);
            log.warn("{}: the client vanished in the middle of the {}-byte payload of WRITE cookie {}; nothing was written",
                    peer, length, r.cookie());
            return false;
        }
        buffer.position(HEADROOM);
        start(r, buffer, length);
        return true;
    }

    /**
     * Takes what a request needs to be in flight, blocking (and so not reading the connection) until
     * this connection and the whole server have room for it.
     */
    private void acquire(int payload) throws InterruptedException {
        requests.acquire();
        try {
            bytes.acquire(Math.min(payload, maxBytes));
        } catch (InterruptedException e) {
            requests.release();
            throw e;
        }
        try {
            serverBytes.acquire(Math.min(payload, maxServerBytes));
        } catch (InterruptedException e) {
            bytes.release(Math.min(payload, maxBytes));
            requests.release();
            throw e;
        }
    }

    private void release(int payload) {
        serverBytes.release(Math.min(payload, maxServerBytes));
        bytes.release(Math.min(payload, maxBytes));
        requests.release();
    }

    /** Serves a request on a worker; its reply releases what {@link #acquire} took once written. */
    private void start(Request r, ByteBuffer payload, int accounted) {
        workers.newThread(() -> execute(r, payload, accounted)).start();
    }

    // ---- validation (0 = valid, else the errno to answer)

    private int checkRead(Request r) {
        int allowed = session.structuredReplies() ? CMD_FLAG_DF : 0;
        if ((r.flags() & ~allowed) != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (r.length() > maxPayload) {
            return reject(r, EOVERFLOW, "length above the maximum payload of " + maxPayload);
        }
        return checkRange(r, EINVAL);
    }

    private int checkRelocRead(Request r) {
        if (session.channel() == null) {
            return reject(r, EINVAL, "RELOC_READ without RELOC_CHANNEL negotiated");
        }
        if (r.flags() != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (r.length() > maxPayload) {
            return reject(r, EOVERFLOW, "length above the maximum payload of " + maxPayload);
        }
        return checkRange(r, EINVAL);
    }

    private int checkRelocRate(Request r) {
        if (session.channel() == null) {
            return reject(r, EINVAL, "RELOC_RATE without RELOC_CHANNEL negotiated");
        }
        if (r.flags() != 0 || r.length() != 0) {
            return reject(r, EINVAL, "RELOC_RATE takes no flags and length 0");
        }
        String bogus = RelocChannel.checkRate(r.offset());
        return bogus == null ? 0 : reject(r, EINVAL, bogus + "; ignored");
    }

    private int checkRelocPace(Request r) {
        if (session.channel() == null) {
            return reject(r, EINVAL, "RELOC_PACE without RELOC_CHANNEL negotiated");
        }
        if (r.flags() != 0) {
            return reject(r, EINVAL, "RELOC_PACE takes no flags");
        }
        String bogus = RelocChannel.checkPace(r.offset());
        return bogus == null ? 0 : reject(r, EINVAL, bogus);
    }

    private int checkTracking(Request r) {
        if (session.tracker() == null) {
            return reject(r, EINVAL, commandName(r.type()) + " without RELOC_TRACKING negotiated");
        }
        if (r.flags() != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (r.type() == CMD_RELOC_TRACK) {
            long g = r.length();
            if (r.offset() != 0 || g < 512 || g > (1 << 30) || Long.bitCount(g) != 1) {
                return reject(r, EINVAL, "RELOC_TRACK needs offset 0 and a power-of-two granularity from 512 to 1G");
            }
        }
        return 0;
    }

    private int checkWrite(Request r) {
        if ((r.flags() & ~CMD_FLAG_FUA) != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (device.isReadOnly()) {
            return reject(r, EPERM, "the export is read-only");
        }
        if (r.length() > maxPayload) {
            return reject(r, EOVERFLOW, "payload above the maximum of " + maxPayload);
        }
        return checkRange(r, ENOSPC);
    }

    private int checkFlush(Request r) {
        if (r.flags() != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (r.offset() != 0 || r.length() != 0) {
            return reject(r, EINVAL, "FLUSH must have offset and length 0");
        }
        return 0;
    }

    private int checkTrim(Request r) {
        if ((r.flags() & ~CMD_FLAG_FUA) != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (device.isReadOnly()) {
            return reject(r, EPERM, "the export is read-only");
        }
        return checkRange(r, EINVAL);
    }

    private int checkCache(Request r) {
        if (r.flags() != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        return checkRange(r, EINVAL);
    }

    private int checkWriteZeroes(Request r) {
        if ((r.flags() & ~(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO)) != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (device.isReadOnly()) {
            return reject(r, EPERM, "the export is read-only");
        }
        return checkRange(r, ENOSPC);
    }

    private int checkBlockStatus(Request r) {
        if ((r.flags() & ~CMD_FLAG_REQ_ONE) != 0) {
            return reject(r, EINVAL, "unknown flags");
        }
        if (session.allocationContextId() == 0) {
            return reject(r, EINVAL, "no meta context was selected with SET_META_CONTEXT");
        }
        if (r.length() == 0) {
            return reject(r, EINVAL, "zero length");
        }
        return checkRange(r, EINVAL);
    }

    private int checkRange(Request r, int pastEnd) {
        if (r.offset() < 0 || r.offset() > size || r.length() > size - r.offset()) {
            return reject(r, pastEnd, "range past the end of the " + size + "-byte export");
        }
        if (minimumBlock > 1 && (r.offset() % minimumBlock != 0 || r.length() % minimumBlock != 0)) {
            return reject(r, EINVAL, "range not aligned to the minimum block size " + minimumBlock);
        }
        return 0;
    }

    private int reject(Request r, int errno, String why) {
        // Called on the reader thread only. A client repeating a bad request must not flood the log.
        rejections++;
        if (rejections > LOGGED_REJECTIONS) {
            log.debug("{}: rejected {} with {}: {}", peer, commandName(r.type()), Errno.name(errno), why);
            return errno;
        }
        if (rejections == LOGGED_REJECTIONS) {
            log.info("{}: {} requests rejected; further rejections are logged at debug level", peer, rejections);
        }
        log.info("{}: rejected {} (flags 0x{}, cookie {}, offset {}, length {}) with {}: {}", peer,
                commandName(r.type()), Integer.toHexString(r.flags()), r.cookie(), Long.toUnsignedString(r.offset()),
                r.length(), Errno.name(errno), why);
        return errno;
    }

    // ---- execution (on a worker thread)

    private void execute(Request r, ByteBuffer payload, int accounted) {
        ByteBuffer reply = null;
        try {
            reply = switch (r.type()) {
                case CMD_READ -> read(r);
                case CMD_RELOC_READ -> relocRead(r);
                case CMD_RELOC_RATE -> {
                    if (session.channel().choice() != null) {
                        session.channel().choice().reported(r.offset());
                        log.debug("{}: client measures {} bytes/s; {}", peer, r.offset(), session.channel().choice());
                    }
                    yield okReply(r);
                }
                case CMD_RELOC_PACE -> {
                    pace(r.offset(), (int) r.length());
                    yield okReply(r);
                }
                case CMD_WRITE -> write(r, payload);
                case CMD_FLUSH -> {
                    device.flush();
                    yield okReply(r);
                }
                case CMD_TRIM -> {
                    device.trim(r.offset(), r.length(), r.has(CMD_FLAG_FUA));
                    yield okReply(r);
                }
                case CMD_CACHE -> {
                    device.cache(r.offset(), r.length());
                    yield okReply(r);
                }
                case CMD_WRITE_ZEROES -> {
                    writeZeroes(r);
                    yield okReply(r);
                }
                case CMD_BLOCK_STATUS -> blockStatus(r);
                case CMD_RELOC_TRACK, CMD_RELOC_DIRTY, CMD_RELOC_UNTRACK -> tracking(r);
                default -> throw new IllegalStateException("unvalidated command " + r.type());
            };
        } catch (BlockDeviceException e) {
            int errno = Errno.of(e.error());
            log.info("{}: {} cookie {} failed with {}: {}", peer, commandName(r.type()), r.cookie(), Errno.name(errno),
                    e.getMessage());
            reply = errorReply(r, errno, e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.warn("{}: {} cookie {} at offset {} failed; answering EIO", peer, commandName(r.type()), r.cookie(),
                    r.offset(), e);
            reply = errorReply(r, EIO, "I/O error: " + e);
        } finally {
            if (payload != null && payload != reply) {
                pool.release(payload);
            }
            if (reply == null) {
                release(accounted); // an Error escapes: no reply, but the request is no longer in flight
            }
        }
        send(reply, accounted);
    }

    /**
     * Joins the client's pacing group at {@code bytesPerSecond}, or leaves it for 0. Requests
     * run concurrently: two RELOC_PACE of one connection are serialised here.
     */
    private synchronized void pace(long bytesPerSecond, int group) {
        ReplyPacer current = pace;
        if (bytesPerSecond > 0 && current != null && group == paceGroup) {
            current.rate(bytesPerSecond);
            return;
        }
        if (current != null) {
            pace = null;
            pacers.leave(host, current);
        }
        if (bytesPerSecond > 0) {
            paceGroup = group;
            pace = pacers.join(host, group, bytesPerSecond);
        }
        log.debug("{}: replies paced at {} bytes/s in group {}", peer, bytesPerSecond, group);
    }

    /**
     * WRITE_ZEROES may fail with ENOTSUP only when FAST_ZERO was asked; a device that refuses
     * anyway gets the zeroes written as data.
     */
    private void writeZeroes(Request r) throws IOException {
        Set<ZeroFlag> flags = zeroFlags(r);
        try {
            device.writeZeroes(r.offset(), r.length(), flags);
        } catch (BlockDeviceException e) {
            if (e.error() != io.reloc.api.BlockError.NOT_SUPPORTED || flags.contains(ZeroFlag.FAST_ONLY)) {
                throw e;
            }
            log.debug("{}: device cannot zero [{}, +{}) ({}); writing zeroes instead", peer, r.offset(), r.length(),
                    e.getMessage());
            ByteBuffer zeroes = pool.acquire((int) Math.min(ZERO_STEP, r.length()));
            try {
                zeroes.clear();
                java.lang.foreign.MemorySegment.ofBuffer(zeroes).fill((byte) 0);
                for (long done = 0; done < r.length(); ) {
                    int step = (int) Math.min(zeroes.capacity(), r.length() - done);
                    zeroes.limit(step).position(0);
                    device.write(r.offset() + done, zeroes, flags.contains(ZeroFlag.FUA));
                    done += step;
                }
            } finally {
                pool.release(zeroes);
            }
        }
    }

    private static Set<ZeroFlag> zeroFlags(Request r) {
        Set<ZeroFlag> flags = EnumSet.noneOf(ZeroFlag.class);
        if (r.has(CMD_FLAG_FUA)) {
            flags.add(ZeroFlag.FUA);
        }
        if (r.has(CMD_FLAG_NO_HOLE)) {
            flags.add(ZeroFlag.NO_HOLE);
        }
        if (r.has(CMD_FLAG_FAST_ZERO)) {
            flags.add(ZeroFlag.FAST_ONLY);
        }
        return flags;
    }

    /** The reply to a READ: the data with its header in front, in a pooled buffer. */
    private ByteBuffer read(Request r) throws IOException {
        int length = (int) r.length();
        ByteBuffer b = pool.acquire(length);
        try {
            device.read(r.offset(), b);
            int start;
            if (!session.structuredReplies()) {
                start = HEADROOM - SIMPLE_REPLY_HEADER_SIZE;
                SimpleReply.encodeAt(b, start, 0, r.cookie());
            } else if (length == 0) {
                // OFFSET_DATA must carry data; an empty read is answered with NONE.
                start = HEADROOM - CHUNK_HEADER_SIZE;
                ChunkHeader.encodeAt(b, start, REPLY_FLAG_DONE, CHUNK_NONE, r.cookie(), 0);
            } else {
                start = HEADROOM - Chunks.OFFSET_DATA_PREFIX;
                Chunks.encodeOffsetDataPrefixAt(b, start, REPLY_FLAG_DONE, r.cookie(), r.offset(), length);
            }
            return b.limit(HEADROOM + length).position(start);
        } catch (IOException | RuntimeException e) {
            pool.release(b);
            throw e;
        }
    }

    /**
     * Reads the range and encodes it as Reloc channel batches on the request's own thread; the
     * batches go out as one reply buffer, in order, the last carrying DONE.
     */
    private ByteBuffer relocRead(Request r) throws IOException {
        int length = (int) r.length();
        if (length == 0) {
            ByteBuffer none = pool.acquire(0);
            none.clear();
            Chunks.encodeNone(none, r.cookie());
            return none.flip();
        }
        ByteBuffer data = pool.acquire(length);
        try {
            data.limit(HEADROOM + length).position(HEADROOM);
            device.read(r.offset(), data);
            data.limit(HEADROOM + length).position(HEADROOM);
            // Encoded straight into the reply buffer: raw bytes are copied once, not per chunk.
            ByteBuffer reply = pool.acquire(BatchEncoder.maxEncodedSize(length));
            try {
                reply.clear();
                session.channel().encodeInto(data, r.offset(), r.cookie(), reply);
                return reply.flip();
            } catch (RuntimeException e) {
                pool.release(reply);
                throw e;
            }
        } finally {
            pool.release(data);
        }
    }

    /** Writes the payload; returns the reply, in the payload's buffer. */
    private ByteBuffer write(Request r, ByteBuffer payload) throws IOException {
        int length = (int) r.length();
        payload.limit(HEADROOM + length).position(HEADROOM);
        device.write(r.offset(), payload, r.has(CMD_FLAG_FUA));
        // The payload is consumed: its headroom carries the reply.
        SimpleReply.encodeAt(payload, HEADROOM - SIMPLE_REPLY_HEADER_SIZE, 0, r.cookie());
        return payload.limit(HEADROOM).position(HEADROOM - SIMPLE_REPLY_HEADER_SIZE);
    }

    /** Write tracking for hybrid pre-copy; see {@link RelocTracking}. */
    private ByteBuffer tracking(Request r) throws IOException {
        var tracker = session.tracker();
        return switch (r.type()) {
            case CMD_RELOC_TRACK -> {
                long id;
                try {
                    id = tracker.start((int) r.length());
                } catch (IllegalArgumentException e) {
                    throw new BlockDeviceException(io.reloc.api.BlockError.INVALID, e.getMessage());
                }
                ByteBuffer b = pool.acquire(0);
                b.clear();
                RelocTracking.encodeSession(b, r.cookie(), id);
                yield b.flip();
            }
            case CMD_RELOC_DIRTY -> {
                var answer = tracker.dirty(r.offset(), (int) r.length());
                int size = answer.isEmpty() ? CHUNK_HEADER_SIZE + RelocTracking.DIRTY_HEADER_SIZE
                        : RelocTracking.dirtySize(answer.get().blocks());
                ByteBuffer b = pool.acquire(size);
                b.clear();
                if (answer.isEmpty()) {
                    RelocTracking.encodeUnknown(b, r.cookie());
                } else {
                    RelocTracking.encodeDirty(b, r.cookie(), answer.get().round(), answer.get().blocks());
                }
                yield b.flip();
            }
            case CMD_RELOC_UNTRACK -> {
                tracker.end(r.offset());
                yield okReply(r);
            }
            default -> throw new IllegalStateException("not a tracking command: " + r.type());
        };
    }

    private ByteBuffer blockStatus(Request r) throws IOException {
        List<Extent> extents = normalize(device.extents(r.offset(), r.length()), r.length(), r.has(CMD_FLAG_REQ_ONE));
        int size = Chunks.blockStatusSize(extents.size());
        ByteBuffer b = pool.acquire(size);
        try {
            b.clear();
            Chunks.encodeBlockStatus(b, REPLY_FLAG_DONE, r.cookie(), session.allocationContextId(), extents);
            return b.flip();
        } catch (RuntimeException e) {
            pool.release(b);
            throw e;
        }
    }

    /**
     * The device's extents cut to what NBD allows: at least one, none past the requested length,
     * only the first with REQ_ONE, at most {@link #MAX_EXTENTS}.
     */
    static List<Extent> normalize(List<Extent> fromDevice, long length, boolean one) {
        List<Extent> out = new ArrayList<>(Math.min(fromDevice.size(), MAX_EXTENTS));
        long total = 0;
        for (Extent e : fromDevice) {
            if (total >= length || out.size() == MAX_EXTENTS || (one && !out.isEmpty())) {
                break;
            }
            long l = Math.min(e.length(), length - total);
            out.add(l == e.length() ? e : new Extent(l, e.hole(), e.zero()));
            total += l;
        }
        if (out.isEmpty()) {
            out.add(Extent.data(length));
        }
        return out;
    }

    // ---- replies

    private ByteBuffer okReply(Request r) {
        ByteBuffer b = pool.acquire(0);
        b.clear();
        new SimpleReply(0, r.cookie()).encode(b);
        return b.flip();
    }

    /** An error reply: structured for READ when negotiated (the protocol requires it), simple otherwise. */
    private ByteBuffer errorReply(Request r, int errno, String message) {
        ByteBuffer b = pool.acquire(0);
        b.clear();
        if (session.structuredReplies() && (r.type() == CMD_READ || r.type() == CMD_RELOC_READ)) {
            String m = message == null ? "" : message;
            m = m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) : m;
            Chunks.encodeError(b, REPLY_FLAG_DONE, r.cookie(), errno, m);
        } else {
            new SimpleReply(errno, r.cookie()).encode(b);
        }
        return b.flip();
    }

    /**
     * Sends a whole reply (a pooled buffer, given up by the caller) through the {@link GatheringWriter}.
     * Once it is written (or dropped because the connection broke), its buffer goes back to the pool
     * and its request's share of the in-flight budget ({@code accounted}, see {@link #acquire}) is
     * released: replies waiting in the queue stay within that budget.
     */
    private void send(ByteBuffer reply, int accounted) {
        replies.send(new Outgoing(reply, accounted));
    }

    /** How replies reach the socket, and what is given back once they did. */
    private final class Replies implements GatheringWriter.Sink<Outgoing> {
        @Override
        public int buffers(Outgoing message, ByteBuffer[] parts, int at) {
            parts[at] = message.reply();
            return at + 1;
        }

        @Override
        public void write(ByteBuffer[] parts, int count) throws IOException {
            long bytes = 0;
            for (int i = 0; i < count; i++) {
                bytes += parts[i].remaining();
            }
            ReplyPacer p = pace;
            long nanos;
            if (p != null) {
                ByteBuffer[] one = new ByteBuffer[1];
                nanos = p.write(parts, count, slice -> {
                    one[0] = slice;
                    return writeAll(one, 1);
                });
            } else {
                pacers.debit(host, bytes);
                nanos = writeAll(parts, count);
            }
            if (session.channel() != null && session.channel().choice() != null) {
                // Time in the writes alone, not waiting for the lock or the pace: the link's rate once buffers fill.
                session.channel().choice().sent(bytes, nanos);
            }
        }

        @Override
        public void done(Outgoing message) {
            pool.release(message.reply());
            release(message.accounted());
        }

        @Override
        public void failed(IOException e) {
            log.debug("{}: reply lost, closing: {}", peer, e.toString());
            closeChannel();
        }
    }

    /** Writes the buffers' remaining bytes; returns the nanoseconds it took. */
    private long writeAll(ByteBuffer[] buffers, int n) throws IOException {
        long started = System.nanoTime();
        lastProgress = started;
        writing = true;
        try {
            int first = 0;
            while (first < n) {
                if (n - first == 1) {
                    // In steps, so that a large reply the client drains slowly still shows progress.
                    ByteBuffer reply = buffers[first];
                    int end = reply.limit();
                    reply.limit(Math.min(end, reply.position() + WRITE_STEP));
                    channel.write(reply);
                    reply.limit(end);
                } else {
                    channel.write(buffers, first, n - first);
                }
                lastProgress = System.nanoTime();
                while (first < n && !buffers[first].hasRemaining()) {
                    first++;
                }
            }
        } finally {
            writing = false;
        }
        return System.nanoTime() - started;
    }

    /** A reply waiting to be written, and the in-flight share its request holds. */
    private record Outgoing(ByteBuffer reply, int accounted) {}

    /**
     * Closes the connection if a reply has waited longer than {@code timeoutNanos} for the client
     * to accept any of its bytes. Called periodically by the server.
     */
    void closeIfStalled(long now, long timeoutNanos) {
        if (writing && now - lastProgress > timeoutNanos && !replies.broken()) {
            log.warn("{}: the client has accepted no reply bytes for {} ms; closing the connection", peer,
                    TimeUnit.NANOSECONDS.toMillis(now - lastProgress));
            replies.breakOff();
            closeChannel();
        }
    }

    // ---- shutdown

    /** Waits for every request in flight: each holds one permit until its reply is written. */
    private void awaitIdle() {
        boolean interrupted = false;
        while (true) {
            try {
                requests.acquire(maxRequests);
                requests.release(maxRequests);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            log.debug("{}: close failed: {}", peer, e.toString());
        }
    }

}
