package io.reloc.nbd.server;

import io.reloc.api.BlockSizes;
import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.core.net.Listener;
import io.reloc.nbd.channel.ChannelCodecs;
import io.reloc.nbd.channel.CodecEstimates;
import io.reloc.nbd.protocol.NbdProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * An NBD server (fixed newstyle handshake, simple and structured replies, {@code base:allocation})
 * serving the exports of an {@link ExportCatalog}; the export is looked up when a client connects.
 *
 * <p>Threads: one virtual thread accepts; each connection gets a virtual thread for its handshake
 * and request reading, and each request a virtual thread of its own. Thread safe.
 */
public final class NbdServer implements FrontEnd {
    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);
    /**
     * Largest payload served, whatever a device allows: one request's buffer then fits in a
     * connection's in-flight budget.
     */
    static final int PAYLOAD_CAP = 64 << 20;

    private final InetSocketAddress listen;
    private final ExportCatalog exports;
    private final NbdServerConfig config;
    private final BufferPool pool = new BufferPool();
    private final Semaphore bytesInFlight;
    private final ReplyPacers pacers = new ReplyPacers();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime());
    private final Set<SocketChannel> channels = ConcurrentHashMap.newKeySet();
    private final Set<Connection> transmitting = ConcurrentHashMap.newKeySet();
    private final Object lifecycle = new Object();
    private final ChannelCodecs channelCodecs;
    /** What the relocation channel's codecs do on this machine, for every connection's adaptive choice. */
    private final CodecEstimates codecEstimates = new CodecEstimates();

    private Listener server;
    private ScheduledThreadPoolExecutor timer;
    private volatile boolean closed;

    public NbdServer(InetSocketAddress listen, ExportCatalog exports, NbdServerConfig config) {
        this(listen, exports, config, ChannelCodecs.standard());
    }

    /**
     * @param channelCodecs the codecs of Reloc's relocation channel ({@link ChannelCodecs#none()}
     *     turns it off; the server is then plain NBD)
     */
    public NbdServer(InetSocketAddress listen, ExportCatalog exports, NbdServerConfig config,
                     ChannelCodecs channelCodecs) {
        this.channelCodecs = requireNonNull(channelCodecs, "channelCodecs is null");
        this.listen = requireNonNull(listen, "listen is null");
        this.exports = requireNonNull(exports, "exports is null");
        this.config = requireNonNull(config, "config is null");
        this.bytesInFlight = new Semaphore(config.totalBytesInFlight());
    }

    /** The maximum payload advertised and accepted for a device. */
    static int maxPayload(BlockSizes sizes) {
        // Never below the preferred size: clients must be able to send one preferred block.
        return Math.max(sizes.preferred(), Math.min(sizes.maximum(), PAYLOAD_CAP));
    }

    @Override
    public void start() throws IOException {
        synchronized (lifecycle) {
            if (server != null || closed) {
                throw new IllegalStateException("an NBD server can be started once");
            }
            server = Listener.bind("NBD", listen, 1024);
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "nbd-timer");
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
            long replyTimeout = config.replyTimeout().toNanos();
            long period = Math.max(10, Math.min(1000, config.replyTimeout().toMillis() / 4));
            timer.scheduleWithFixedDelay(() -> {
                long now = System.nanoTime();
                transmitting.forEach(c -> c.closeIfStalled(now, replyTimeout));
            }, period, period, TimeUnit.MILLISECONDS);
            server.accept(this::accepted);
            log.info("NBD server listening on {}", localAddress());
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        synchronized (lifecycle) {
            if (server == null) {
                throw new IllegalStateException("the NBD server is not started");
            }
            return server.address();
        }
    }

    private void accepted(SocketChannel channel) {
        if (connections.incrementAndGet() > config.maxConnections()) {
            connections.decrementAndGet();
            long n = refused.incrementAndGet();
            long now = System.nanoTime();
            long last = lastRefusalLog.get();
            // A flood must not flood the log too: one line per second at most.
            if (n == 1 || (now - last > 1_000_000_000L && lastRefusalLog.compareAndSet(last, now))) {
                lastRefusalLog.set(now);
                log.warn("NBD connection from {} refused: {} connections already (raise max-connections if this "
                        + "load is expected); refused so far: {}", remote(channel), config.maxConnections(), n);
            }
            closeQuietly(channel);
            return;
        }
        long id = connectionIds.incrementAndGet();
        Thread.ofVirtual().name("nbd-conn-" + id).start(() -> handle(channel, id));
    }

    private void handle(SocketChannel channel, long id) {
        String peer = "NBD connection #" + id + " from " + remote(channel);
        channels.add(channel);
        Connection connection = null;
        try {
            if (closed) {
                return;
            }
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            log.debug("{}: connected", peer);
            AtomicInteger state = new AtomicInteger(HANDSHAKING);
            ScheduledFuture<?> timeout = timer.schedule(() -> {
                if (state.compareAndSet(HANDSHAKING, TIMED_OUT)) {
                    log.warn("{}: no handshake within {} ms (handshake-timeout); disconnecting", peer,
                            config.handshakeTimeout().toMillis());
                    closeQuietly(channel);
                }
            }, config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
            Optional<Session> session;
            try {
                session = new Handshake(channel, exports, peer, channelCodecs, codecEstimates).run();
            } catch (IOException e) {
                if (state.get() != TIMED_OUT && !closed) {
                    logHandshakeFailure(peer, e);
                }
                return;
            } finally {
                timeout.cancel(false);
            }
            if (!state.compareAndSet(HANDSHAKING, DONE) || session.isEmpty()) {
                return;
            }
            log.debug("{}: serving export '{}' (structured replies: {})", peer, session.get().export().name(),
                    session.get().structuredReplies());
            if (session.get().channel() != null) {
                session.get().channel().warmUp(session.get().export().device());
            }
            connection = new Connection(channel, session.get(), pool, bytesInFlight, config, peer, pacers);
            transmitting.add(connection);
            if (closed) {
                connection.stop();
            }
            connection.serve();
        } catch (IOException e) {
            log.warn("{}: {}", peer, e.toString());
        } catch (RuntimeException e) {
            log.error("{}: unexpected failure; closing the connection", peer, e);
        } finally {
            if (connection != null) {
                transmitting.remove(connection);
            }
            closeQuietly(channel);
            channels.remove(channel);
            connections.decrementAndGet();
            log.debug("{}: closed", peer);
        }
    }

    private static void logHandshakeFailure(String peer, IOException e) {
        switch (e) {
            case NbdProtocolException p -> log.warn("{}: handshake failed: {}; disconnecting", peer, p.getMessage());
            case EOFException eof -> log.info("{}: {} during the handshake", peer, eof.getMessage());
            default -> log.info("{}: handshake ended: {}", peer, e.toString());
        }
    }

    private static final int HANDSHAKING = 0;
    private static final int DONE = 1;
    private static final int TIMED_OUT = 2;

    /**
     * Stops accepting, lets requests in flight finish for up to the configured grace period, then
     * closes every connection. Idempotent.
     */
    @Override
    public void close() throws IOException {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (server == null) {
                return;
            }
            server.close();
            timer.shutdownNow();
        }
        // Connections still in their handshake have nothing in flight.
        for (SocketChannel c : channels) {
            if (transmitting.stream().noneMatch(t -> t.uses(c))) {
                closeQuietly(c);
            }
        }
        transmitting.forEach(Connection::stop);
        long deadline = System.nanoTime() + config.closeGrace().toNanos();
        for (Connection c : transmitting) {
            c.awaitFinished(Math.max(0, deadline - System.nanoTime()));
        }
        channels.forEach(NbdServer::closeQuietly);
        log.info("NBD server on {} closed", listen);
    }

    /** Connections open now (handshaking or transmitting); for tests and monitoring. */
    public int connectionCount() {
        return connections.get();
    }

    /** The pacing groups of the connections open now (tests). */
    ReplyPacers pacers() {
        return pacers;
    }

    private static String remote(SocketChannel c) {
        try {
            return String.valueOf(c.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("close failed: {}", e.toString());
        }
    }

}
