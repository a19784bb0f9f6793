package io.reloc.bench.wan;

import io.reloc.core.priority.RealTimePriority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * A user-space WAN emulator: a TCP relay from {@code listen} to {@code target} that imposes
 * one-way delay, a bandwidth cap per direction shared by all connections, and optional jitter.
 * The link can be cut (every connection reset, new ones refused) and restored at run time, and
 * its settings changed. The kernel here has no netem; every WAN figure of the project comes
 * from this class. Thread safe.
 */
public final class WanLink implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(WanLink.class);

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final LinkDirection upstream;
    private final LinkDirection downstream;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile ChunkLog chunkLog;
    private volatile boolean realTimeRelay = true;
    /** What the relay's threads got: "none yet", "real-time" or "normal". */
    private volatile String relayPriority = "none yet";
    private final AtomicBoolean refusalLogged = new AtomicBoolean();
    private volatile boolean cut;
    private volatile boolean closed;

    private WanLink(ServerSocket server, InetSocketAddress target, LinkSettings settings, long seed) {
        this.server = server;
        this.target = target;
        SplittableRandom random = new SplittableRandom(seed);
        this.upstream = new LinkDirection(settings, random.split());
        this.downstream = new LinkDirection(settings, random.split());
    }

    /**
     * Starts relaying.
     *
     * @param seed seeds the jitter, so a run can be repeated
     * @throws IOException "address … is already in use" when the listen port is taken
     */
    public static WanLink start(InetSocketAddress listen, InetSocketAddress target, LinkSettings settings, long seed)
            throws IOException {
        requireNonNull(target, "target is null");
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        try {
            server.bind(listen, 128);
        } catch (BindException e) {
            server.close();
            throw new IOException("address " + listen.getHostString() + ":" + listen.getPort() + " is already in use", e);
        }
        WanLink link = new WanLink(server, target, settings, seed);
        Thread.ofPlatform().daemon().name("wan-accept").start(link::acceptLoop);
        return link;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    public LinkSettings settings() {
        return upstream.settings();
    }

    /** Applies to chunks entering the link from now on. */
    public void settings(LinkSettings settings) {
        upstream.settings(settings);
        downstream.settings(settings);
    }

    /** Bytes sent from clients towards the target so far. */
    public long bytesUpstream() {
        return upstream.bytes();
    }

    /** Bytes sent from the target back to clients so far. */
    public long bytesDownstream() {
        return downstream.bytes();
    }

    /**
     * How long data sent back to clients now would queue at the link's bottleneck behind data
     * already sent: what a demand reply leaving the source now waits, whichever connection it uses.
     */
    public long downstreamBacklogNanos() {
        return downstream.backlogNanos(System.nanoTime());
    }

    /** Records the small chunks of connections opened from now on in {@code log} (null: stop). */
    public void logChunks(ChunkLog log) {
        chunkLog = log;
    }

    /**
     * Whether the relay threads of connections opened from now on ask for real-time priority
     * (the default; see {@link RealTimePriority}). A real network does not share the end hosts'
     * cores; without it, on a machine where the ends and the relay share them, the link's delay
     * grows by however long a relay thread waits for a core the ends keep busy.
     */
    public void realTimeRelay(boolean on) {
        realTimeRelay = on;
    }

    /** {@code realtime} or {@code normal}, as the command lines write a relay priority. */
    public static boolean isRealTime(String relayPriority) {
        return switch (relayPriority) {
            case "realtime" -> true;
            case "normal" -> false;
            default -> throw new IllegalArgumentException("the relay priority must be realtime or normal, not '" + relayPriority + "'");
        };
    }

    /**
     * The priority the relay's threads run at: "real-time", "normal" (off, or refused: the log
     * says why), or "none yet" before the first connection.
     */
    public String relayPriority() {
        return relayPriority;
    }

    private void raiseRelayThread() {
        String refused = realTimeRelay ? RealTimePriority.raiseCurrentThread() : "off";
        relayPriority = refused == null ? "real-time" : "normal";
        if (refused != null && realTimeRelay && refusalLogged.compareAndSet(false, true)) {
            log.warn("relay threads run at normal priority, {}: the ends' use of the cores adds to the link's delay", refused);
        }
    }

    /** Resets every connection and refuses new ones until {@link #restore()}. */
    public void cut() {
        cut = true;
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        log.info("link cut");
    }

    public void restore() {
        cut = false;
        log.info("link restored");
    }

    public boolean isCut() {
        return cut;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                if (cut) {
                    closeQuietly(client);
                    continue;
                }
                // Tracked from the moment it is accepted, so a cut that comes before the relay
                // has reached the target still resets it.
                sockets.add(client);
                Thread.ofVirtual().start(() -> connect(client));
            } catch (IOException e) {
                if (!closed) {
                    log.warn("accept failed: {}", e.getMessage());
                }
            }
        }
    }

    private void connect(Socket client) {
        Socket remote = new Socket();
        try {
            client.setTcpNoDelay(true);
            remote.setTcpNoDelay(true);
            remote.connect(target, 10_000);
        } catch (IOException e) {
            log.warn("cannot reach {}: {}", target, e.getMessage());
            sockets.remove(client);
            closeQuietly(client);
            closeQuietly(remote);
            return;
        }
        sockets.add(remote);
        if (cut || client.isClosed()) {
            sockets.remove(client);
            sockets.remove(remote);
            closeQuietly(client);
            closeQuietly(remote);
            return;
        }
        Runnable end = () -> {
            // Half-close so the far side sees EOF after the data in flight, then tidy up.
            try {
                remote.shutdownOutput();
            } catch (IOException ignored) {
                closeQuietly(remote);
            }
        };
        Runnable endBack = () -> {
            closeQuietly(client);
            closeQuietly(remote);
            sockets.remove(client);
            sockets.remove(remote);
        };
        try {
            int queueChunks = queueChunks();
            int id = connections.incrementAndGet();
            new Pipe(client.getInputStream(), remote.getOutputStream(), upstream, queueChunks, end, tap(id, true))
                    .start("wan-up", this::raiseRelayThread);
            new Pipe(remote.getInputStream(), client.getOutputStream(), downstream, queueChunks, endBack, tap(id, false))
                    .start("wan-down", this::raiseRelayThread);
        } catch (IOException e) {
            endBack.run();
        }
    }

    private Pipe.Tap tap(int connection, boolean up) {
        ChunkLog log = chunkLog;
        return log == null ? null : (length, entered, due, written) -> log.add(connection, up, length, entered, due, written);
    }

    /**
     * The queue holds about two bandwidth-delay products, like a router buffer sized for the
     * path, so a sender can fill the pipe but not hide unbounded data in the relay.
     */
    private int queueChunks() {
        LinkSettings s = settings();
        int chunk = Pipe.chunkBytes(s.bitsPerSecond());
        long bdpBytes = s.bitsPerSecond() == 0 ? 4 << 20 : s.bitsPerSecond() / 8 * Math.max(s.rtt().toNanos(), 1_000_000L) / 1_000_000_000L;
        return (int) Math.max(16, Math.min(65_536, 2 * bdpBytes / chunk + 16));
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Closing is best effort.
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }
}
