package io.reloc.nbd.client;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.nbd.channel.BatchDecoder;
import io.reloc.nbd.channel.LinkMeter;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.ReplyHeader;
import io.reloc.nbd.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * One NBD connection in the transmission phase, shared by many callers: {@link #submit} gives a
 * request a fresh cookie and queues it; one writer (virtual) thread sends queued requests in
 * batches, and one reader (platform) thread matches replies to requests by cookie, in whatever
 * order they come. Callers never touch the socket, so interrupting a caller cannot close the connection
 * under everybody else. At most {@code maxInFlight} requests are outstanding; submitters wait
 * for a slot.
 *
 * <p>When the socket breaks, the server breaks the protocol, or the server sends nothing for the
 * reply timeout while requests wait (a silent network partition), the connection fails for good:
 * every pending and later request completes with {@link BlockError#IO} naming the reason.
 */
final class NbdConnection implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(NbdConnection.class);
    /** Most request headers sent in one write. */
    private static final int BATCH = 64;
    private static final Duration DISC_WAIT = Duration.ofSeconds(1);

    private final NbdTransport transport;
    private final Negotiated negotiated;
    private final Semaphore slots;
    private final Map<Long, PendingRequest> pending = new ConcurrentHashMap<>();
    private final AtomicLong cookies = new AtomicLong();
    private final BlockingQueue<Request> outbox = new LinkedBlockingQueue<>();
    private final Thread writer;
    private final Thread reader;
    private final Thread watchdog;
    private final long replyTimeoutNanos;
    private volatile BlockDeviceException failure;
    /** Decodes RELOC_READ batches; null when the relocation channel is not in use. */
    private final BatchDecoder channel;
    /**
     * How fast RELOC_READ replies arrive (shared by a device's connections, which share the link),
     * and what to do with a rate due: by default tell this connection's server, until it refuses a
     * RELOC_RATE.
     */
    private volatile LinkMeter meter = new LinkMeter(System::nanoTime);
    private volatile java.util.function.LongConsumer rateSink = this::reportRateLater;
    private volatile boolean reportRates = true;

    NbdConnection(NbdTransport transport, Negotiated negotiated, int maxInFlight, Duration replyTimeout) {
        this(transport, negotiated, maxInFlight, replyTimeout, null);
    }

    NbdConnection(NbdTransport transport, Negotiated negotiated, int maxInFlight, Duration replyTimeout,
                  BatchDecoder channel) {
        this.channel = channel;
        this.transport = requireNonNull(transport, "transport is null");
        this.negotiated = requireNonNull(negotiated, "negotiated is null");
        this.slots = new Semaphore(maxInFlight);
        this.replyTimeoutNanos = replyTimeout.toNanos();
        this.writer = Thread.ofVirtual().name("nbd-client-writer-" + transport.server()).start(this::writeRequests);
        // A platform thread: the reader waits on the socket all the time, and a virtual one pays a
        // trip through the scheduler's poller and a carrier each time the socket runs dry.
        // Relocating 1 GiB from nbdkit on loopback: median 0.87 s against 0.92 s, six pairs.
        this.reader = Thread.ofPlatform().daemon().name(NbdSourceDevice.READER_THREAD_PREFIX + transport.server()).start(this::readReplies);
        this.watchdog = Thread.ofVirtual().name("nbd-client-watchdog-" + transport.server()).start(this::watch);
    }

    /** Fails the connection when requests have waited the reply timeout and nothing came meanwhile. */
    private void watch() {
        long period = Math.max(replyTimeoutNanos / 4, TimeUnit.MILLISECONDS.toNanos(10));
        while (failure == null) {
            try {
                TimeUnit.NANOSECONDS.sleep(period);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            if (now - transport.lastReadNanos() < replyTimeoutNanos) {
                continue;
            }
            for (PendingRequest p : pending.values()) {
                if (now - p.submittedNanos() >= replyTimeoutNanos) {
                    long seconds = TimeUnit.NANOSECONDS.toSeconds(replyTimeoutNanos);
                    log.warn("NBD server {} sent nothing for {} s while {} waited; dropping the connection",
                            server(), seconds, p.what());
                    fail(new BlockDeviceException(BlockError.IO, "NBD server " + server() + " sent nothing for "
                            + (seconds > 0 ? seconds + " s" : TimeUnit.NANOSECONDS.toMillis(replyTimeoutNanos) + " ms")
                            + " while " + p.what() + " waited; the connection is considered lost"));
                    return;
                }
            }
        }
    }

    Negotiated negotiated() {
        return negotiated;
    }

    /** The relocation channel's decoder, or null when reads must be plain READs. */
    BatchDecoder channel() {
        return channel;
    }

    String server() {
        return transport.server();
    }

    /**
     * Sends the request; the reply completes {@code request.done()}. Waits for a free slot first.
     *
     * @throws BlockDeviceException IO when the connection has failed or the send fails
     */
    <P extends PendingRequest> P submit(P request) throws IOException {
        checkOpen();
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(BlockError.IO, "interrupted while waiting to send " + request.what(), e);
        }
        long cookie = cookies.incrementAndGet();
        request.cookie(cookie);
        pending.put(cookie, request);
        // fail() may have drained the map just before the put: never leave a request behind.
        BlockDeviceException f = failure;
        if (f != null) {
            release(cookie);
            request.fail(f);
            return request;
        }
        if (request.type == NbdConstants.CMD_RELOC_READ) {
            meter.started();
        }
        outbox.add(new Request(request.flags, request.type, cookie, request.offset, request.length));
        return request;
    }

    /** Sends what callers queued, many headers per write; stops after DISC or on failure. */
    private void writeRequests() {
        List<Request> batch = new ArrayList<>(BATCH);
        ByteBuffer out = ByteBuffer.allocate(BATCH * NbdConstants.REQUEST_HEADER_SIZE);
        try {
            while (true) {
                batch.add(outbox.take());
                outbox.drainTo(batch, BATCH - 1);
                out.clear();
                boolean disconnect = false;
                for (Request r : batch) {
                    r.encode(out);
                    disconnect |= r.type() == NbdConstants.CMD_DISC;
                }
                batch.clear();
                transport.write(out.flip());
                if (disconnect) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // close() or fail(): nothing more to send.
        } catch (IOException e) {
            fail(new BlockDeviceException(BlockError.IO, "cannot send to NBD server " + server() + ": " + describe(e), e));
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private void checkOpen() throws BlockDeviceException {
        BlockDeviceException f = failure;
        if (f != null) {
            throw new BlockDeviceException(f.error(), f.getMessage(), f);
        }
    }

    private void readReplies() {
        ByteBuffer header = ByteBuffer.allocate(NbdConstants.CHUNK_HEADER_SIZE);
        try {
            while (true) {
                header.clear().limit(ReplyHeader.MAGIC_SIZE);
                if (!transport.readFullyOrEnd(header, "a reply header")) {
                    throw new EOFException("NBD server " + server() + " closed the connection");
                }
                header.limit(ReplyHeader.sizeFor(header.getInt(0)));
                transport.readFully(header, "a reply header");
                header.flip();
                switch (ReplyHeader.decode(header)) {
                    case ReplyHeader.Simple s -> {
                        PendingRequest p = lookup(s.cookie());
                        p.onSimple(s.reply().error(), transport);
                        finish(p);
                    }
                    case ReplyHeader.Chunk c -> {
                        PendingRequest p = lookup(c.cookie());
                        p.onChunk(c.header(), transport);
                        if (p.type == NbdConstants.CMD_RELOC_READ) {
                            meter.arrived(NbdConstants.CHUNK_HEADER_SIZE + c.header().length());
                        }
                        if (c.header().done()) {
                            finish(p);
                        }
                    }
                }
            }
        } catch (NbdProtocolException e) {
            log.warn("NBD server {} broke the protocol: {}; dropping the connection", server(), e.getMessage());
            fail(new BlockDeviceException(BlockError.IO, "NBD server " + server() + " broke the protocol: "
                    + e.getMessage(), e));
        } catch (IOException e) {
            fail(new BlockDeviceException(BlockError.IO, failure != null ? failure.getMessage()
                    : "connection to NBD server " + server() + " lost: " + describe(e), e));
        } catch (RuntimeException e) {
            fail(new BlockDeviceException(BlockError.IO, "NBD client for " + server() + " failed: " + e, e));
        }
    }

    private PendingRequest lookup(long cookie) throws NbdProtocolException {
        PendingRequest p = pending.get(cookie);
        if (p == null) {
            throw new NbdProtocolException("reply with unknown cookie " + Long.toUnsignedString(cookie));
        }
        return p;
    }

    private void finish(PendingRequest p) throws NbdProtocolException {
        p.finish();
        if (release(p.cookie())) {
            p.complete();
        }
        if (p.type == NbdConstants.CMD_RELOC_READ) {
            long rate = meter.ended();
            if (rate > 0) {
                rateSink.accept(rate);
            }
        }
    }

    /**
     * Measures with {@code shared} instead, and hands the rates due to {@code sink}; call before
     * the first request.
     */
    void shareRates(LinkMeter shared, java.util.function.LongConsumer sink) {
        this.meter = requireNonNull(shared, "shared is null");
        this.rateSink = requireNonNull(sink, "sink is null");
    }

    /** {@link #reportRate} on a thread of its own: submit may wait for a slot, which only the reader frees. */
    void reportRateLater(long bytesPerSecond) {
        if (reportRates && channel != null) {
            Thread.ofVirtual().name("nbd-client-rate-" + server()).start(() -> reportRate(bytesPerSecond));
        }
    }

    /**
     * Tells the server the rate replies arrive at; whether it accepted. After the first refusal
     * (a server that predates RELOC_RATE) rates are no longer sent on this connection.
     */
    boolean reportRate(long bytesPerSecond) {
        try {
            submit(PendingSimple.rate(bytesPerSecond)).done().join();
            log.debug("NBD server {}: told it replies arrive at {} bytes/s", server(), bytesPerSecond);
            return true;
        } catch (IOException | java.util.concurrent.CompletionException e) {
            reportRates = false;
            log.debug("NBD server {} refused RELOC_RATE ({}); not sending it again on this connection", server(),
                    e.getMessage());
            return false;
        }
    }

    /**
     * Asks the server to pace this connection's replies at {@code bytesPerSecond} (0: not paced),
     * sharing the rate with the connections of {@code group}; whether it accepted. Blocks for a
     * round trip; see {@link PaceSender} for the caller that does not.
     */
    boolean pace(long bytesPerSecond, int group) {
        try {
            submit(PendingSimple.pace(bytesPerSecond, group)).done().join();
            return true;
        } catch (IOException | java.util.concurrent.CompletionException e) {
            log.debug("NBD server {} refused RELOC_PACE ({})", server(), e.getMessage());
            return false;
        }
    }

    /** Whether measured rates are still sent to the server. */
    boolean reportsRates() {
        return reportRates;
    }

    private boolean release(long cookie) {
        if (pending.remove(cookie) != null) {
            slots.release();
            return true;
        }
        return false;
    }

    /** Fails the connection: closes the socket and every pending request. The first reason sticks. */
    private void fail(BlockDeviceException cause) {
        synchronized (this) {
            if (failure == null) {
                failure = cause;
            }
        }
        try {
            transport.close();
        } catch (IOException e) {
            log.debug("closing the connection to {}: {}", server(), e.getMessage());
        }
        if (Thread.currentThread() != writer) {
            writer.interrupt();
        }
        for (Long cookie : pending.keySet()) {
            PendingRequest p = pending.get(cookie);
            if (p != null && release(cookie)) {
                p.fail(failure);
                if (p.type == NbdConstants.CMD_RELOC_READ) {
                    meter.ended(); // the meter is shared: it must not wait for this reply forever
                }
            }
        }
    }

    /** Asks the server to disconnect, closes the socket and fails whatever is still pending. */
    @Override
    public void close() {
        if (failure == null) {
            outbox.add(new Request(0, NbdConstants.CMD_DISC, cookies.incrementAndGet(), 0, 0));
            try {
                // A server that has stopped reading must not hold up close().
                writer.join(DISC_WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        fail(new BlockDeviceException(BlockError.IO, "the connection to NBD server " + server() + " is closed"));
        watchdog.interrupt();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
