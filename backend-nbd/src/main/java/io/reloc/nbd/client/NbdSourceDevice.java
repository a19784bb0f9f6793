package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.ReadOnlyBlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.core.net.LinkBytes;
import io.reloc.core.net.ReplyPacing;
import io.reloc.core.tracking.DirtyBlocks;
import io.reloc.core.tracking.SourceTracking;
import io.reloc.core.tracking.TrackingUnavailableException;
import io.reloc.nbd.channel.BatchDecoder;
import io.reloc.nbd.channel.ChannelCodecs;
import io.reloc.nbd.channel.LinkMeter;
import io.reloc.nbd.channel.ChannelStats;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.RelocChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A remote NBD export read as a read-only {@link BlockDevice}: reads are aligned to the server's
 * minimum block size, split at its maximum payload and sent concurrently on one connection;
 * extents come from {@code base:allocation} when the server offers it. With CAN_MULTI_CONN the
 * requests are spread over several connections, each used as soon as its handshake is done.
 * Against a Reloc server that accepts the
 * relocation channel ({@link io.reloc.nbd.protocol.RelocChannel}) reads are RELOC_READs whose
 * compressed, checksummed batches are checked before they reach the caller, and the rate their
 * bytes arrive at, over all connections, is told to the server (RELOC_RATE) for its codec choice;
 * the server can be asked to pace the replies of all of them as one (RELOC_PACE, {@link ReplyPacing}).
 * Against a Reloc server
 * that tracks the export's writes, it offers {@link SourceTracking} (hybrid pre-copy) over a
 * connection of its own, opened on first use ({@link io.reloc.nbd.protocol.RelocTracking}). Thread
 * safe.
 */
public final class NbdSourceDevice implements ReadOnlyBlockDevice, SourceTracking, LinkBytes, ReplyPacing {
    /** Names of the platform threads that read the replies of a device's connections start with this. */
    public static final String READER_THREAD_PREFIX = "nbd-client-";
    private static final Logger log = LoggerFactory.getLogger(NbdSourceDevice.class);

    /** Requests in flight on the connection; more callers wait. */
    public static final int MAX_IN_FLIGHT = 64;
    /** Largest read sent as one request even if the server allows more. */
    static final int MAX_READ = 32 << 20;
    /** Time a server has to finish the handshake. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    /** Time the server may stay silent while requests wait before the connection counts as lost. */
    public static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
    /** Time an extra connection has to finish its handshake before the device makes do without it. */
    static final Duration EXTRA_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

    /** Grows while the extra connections are opened; read far more often than written. */
    private final List<NbdConnection> connections = new CopyOnWriteArrayList<>();
    private final LinkMeter meter = new LinkMeter(System::nanoTime);
    private final Object connectionsLock = new Object();
    /** Guarded by connectionsLock. */
    private boolean connectionsClosed;
    /** Opening the extra connections, or null. */
    private volatile Thread extrasOpening;
    private final AtomicInteger next = new AtomicInteger();
    /** Tells each relocation-channel connection's server the pace, as one group of this device's. */
    private final List<PaceSender> paceSenders = new CopyOnWriteArrayList<>();
    private final int paceGroup = java.util.concurrent.ThreadLocalRandom.current().nextInt();
    /** The pace asked last (0: none), for connections opened later. */
    private volatile long pace;
    private final Negotiated negotiated;
    private final int minimum;
    private final int maxRead;

    private final ChannelStats channelStats;
    /** Bytes read without the relocation channel (as they crossed the link, give or take headers). */
    private final AtomicLong plainBytes = new AtomicLong();
    /** Where to open the tracking connection; null when built from connections alone (tests). */
    private final NbdUri uri;
    private final Duration replyTimeout;
    private final Object trackingLock = new Object();
    /** Guarded by trackingLock. */
    private NbdConnection trackingConnection;
    private boolean closed;

    /** The connections requests are spread over. */
    List<NbdConnection> connections() {
        return connections;
    }

    NbdSourceDevice(List<NbdConnection> connections) {
        this(connections, new ChannelStats());
    }

    NbdSourceDevice(List<NbdConnection> connections, ChannelStats channelStats) {
        this(connections, channelStats, null, REPLY_TIMEOUT);
    }

    NbdSourceDevice(List<NbdConnection> connections, ChannelStats channelStats, NbdUri uri, Duration replyTimeout) {
        this.uri = uri;
        this.replyTimeout = requireNonNull(replyTimeout, "replyTimeout is null");
        this.channelStats = requireNonNull(channelStats, "channelStats is null");
        if (connections.isEmpty()) {
            throw new IllegalArgumentException("no connections");
        }
        this.negotiated = connections.getFirst().negotiated();
        connections.forEach(this::add);
        this.minimum = negotiated.blockSizes().minimum();
        int max = Math.min(negotiated.blockSizes().maximum(), MAX_READ);
        this.maxRead = Math.max(minimum, max - max % minimum);
    }

    /**
     * Connects and negotiates {@code uri}'s export. When the server offers CAN_MULTI_CONN, opens up
     * to {@link NbdUri#connections()} connections and spreads requests over them round-robin; an
     * extra connection that cannot be opened is done without.
     *
     * @throws IOException naming the server: refused, not NBD, unknown export (with the list), TLS
     */
    public static NbdSourceDevice open(NbdUri uri) throws IOException {
        return open(uri, REPLY_TIMEOUT);
    }

    /** {@link #open(NbdUri)} with another reply timeout (tests). */
    static NbdSourceDevice open(NbdUri uri, Duration replyTimeout) throws IOException {
        ChannelStats stats = new ChannelStats();
        NbdConnection first = connect(uri, HANDSHAKE_TIMEOUT, replyTimeout, stats, false);
        NbdSourceDevice device = new NbdSourceDevice(List.of(first), stats, uri, replyTimeout);
        if (first.negotiated().hasFlag(NbdConstants.TF_CAN_MULTI_CONN) && uri.connections() > 1) {
            // Not waited for: over a WAN the extras' handshakes take several round trips, in
            // which the first connection can already carry the copy's first requests.
            device.extrasOpening = Thread.ofVirtual().name("nbd-open-extras").start(device::openExtras);
        } else {
            log.debug("NBD source {} open with 1 connection", uri.server());
        }
        return device;
    }

    /** Starts using {@code c} for requests, unless the device was closed meanwhile (then closes it). */
    private boolean add(NbdConnection c) {
        synchronized (connectionsLock) {
            if (connectionsClosed) {
                c.close();
                return false;
            }
            // The connections share the link: its rate is measured over all of them and told to
            // each server connection, each of which picks its codecs.
            c.shareRates(meter, rate -> connections.forEach(x -> x.reportRateLater(rate)));
            if (c.channel() != null) {
                PaceSender sender = new PaceSender(c, paceGroup);
                paceSenders.add(sender);
                if (pace > 0) {
                    sender.pace(pace);
                }
            }
            connections.add(c);
            return true;
        }
    }

    /** Waits until the extra connections are open or given up (tests). */
    void awaitConnections() throws InterruptedException {
        Thread opening = extrasOpening;
        if (opening != null) {
            opening.join();
        }
    }

    /**
     * Opens the extra connections of a CAN_MULTI_CONN server all at once (each is a TCP connect
     * and a handshake of several round trips, which over a WAN add up to seconds when opened one
     * after another), each used as soon as it is ready. Those that fail or negotiate differently
     * from the first are done without. Interrupted by {@link #close}.
     */
    private void openExtras() {
        int count = uri.connections() - 1;
        IOException[] failed = new IOException[count];
        AtomicBoolean different = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int index = i;
            threads.add(Thread.ofVirtual().name("nbd-open-" + (i + 2)).start(() -> {
                try {
                    NbdConnection c = connect(uri, EXTRA_HANDSHAKE_TIMEOUT, replyTimeout, channelStats, false);
                    if (!c.negotiated().sameExportAs(negotiated)) {
                        c.close();
                        different.set(true);
                    } else {
                        add(c);
                    }
                } catch (IOException e) {
                    failed[index] = e;
                } catch (Throwable e) {
                    failed[index] = new IOException(e.toString(), e);
                }
            }));
        }
        if (joinAll(threads)) {
            return; // closed: add() closed whatever was still being opened
        }
        int using = connections.size();
        if (different.get()) {
            log.warn("NBD server {} negotiated differently on a second connection; using {}", uri.server(), using);
        }
        for (int i = 0; i < count; i++) {
            if (failed[i] != null) {
                log.warn("NBD server {} offers several connections but refused connection {}: {}; using {}",
                        uri.server(), i + 2, failed[i].getMessage(), using);
                break;
            }
        }
        log.debug("NBD source {} open with {} connection(s)", uri.server(), using);
    }

    /**
     * Waits for every thread to end. When interrupted, interrupts them (a connection being opened
     * then fails at once, and a handshake within its timeout) and still waits, so that no
     * connection is left open unseen; returns whether this thread was interrupted.
     */
    private static boolean joinAll(List<Thread> threads) {
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    threads.forEach(Thread::interrupt);
                }
            }
        }
        return interrupted;
    }

    /** @param tracking ask for write tracking instead of offering the relocation channel */
    private static NbdConnection connect(NbdUri uri, Duration handshakeTimeout, Duration replyTimeout,
                                         ChannelStats stats, boolean tracking) throws IOException {
        NbdTransport transport = NbdTransport.connect(uri);
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(handshakeTimeout);
                timedOut.set(true);
                transport.close();
            } catch (InterruptedException | IOException e) {
                // The handshake finished in time.
            }
        });
        try {
            List<String> offer = tracking ? List.of() : uri.channelOffer();
            Negotiated negotiated = ClientHandshake.negotiate(transport, uri.exportName(), offer, tracking);
            watchdog.interrupt();
            watchdog.join();
            if (timedOut.get()) {
                throw new IOException("timed out");
            }
            BatchDecoder decoder = null;
            if (negotiated.channel()) {
                ChannelCodecs codecs = ChannelCodecs.standard();
                decoder = new BatchDecoder(offer.stream().map(n -> codecs.find(n).orElseThrow()).toList(), stats);
                log.debug("NBD source {}: relocation channel with codec {}", uri.server(), negotiated.channelCodec());
            }
            return new NbdConnection(transport, negotiated, MAX_IN_FLIGHT, replyTimeout, decoder);
        } catch (IOException | RuntimeException e) {
            watchdog.interrupt();
            transport.close();
            if (timedOut.get()) {
                throw new IOException("NBD server " + uri.server() + " did not finish the handshake within "
                        + handshakeTimeout.toSeconds() + " s; is it overloaded or limiting its connections?", e);
            }
            if (e instanceof ClosedByInterruptException) {
                throw new IOException("interrupted while connecting to NBD server " + uri.server(), e);
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            transport.close();
            throw new IOException("interrupted while connecting to NBD server " + uri.server(), e);
        }
    }

    /**
     * Bytes of read replies on the link: the relocation channel's batches as received (a zero
     * marker counts its header), plus what was read without the channel.
     */
    @Override
    public long linkBytesReceived() {
        ChannelStats.Snapshot channel = channelStats.snapshot();
        return channel.payloadBytes() + channel.zeroBatches() * RelocChannel.batchSize(0) + plainBytes.get();
    }

    /** What {@link #linkBytesReceived}'s replies carried: batches decoded, zero runs, plain replies. */
    @Override
    public long dataBytesReceived() {
        ChannelStats.Snapshot channel = channelStats.snapshot();
        return channel.decodedBytes() + channel.zeroBytes() + plainBytes.get();
    }

    /**
     * Asks the server to send the replies of all of this device's connections at no more than
     * {@code bytesPerSecond} on the wire, together (RELOC_PACE); only over the relocation channel,
     * and only to a server that accepts it. Returns at once.
     */
    @Override
    public void paceReplies(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("pace below 0: " + bytesPerSecond);
        }
        pace = bytesPerSecond;
        paceSenders.forEach(s -> s.pace(bytesPerSecond));
    }

    /** Whether every relocation-channel connection's server still takes RELOC_PACE (tests). */
    boolean pacesReplies() {
        return !paceSenders.isEmpty() && paceSenders.stream().allMatch(PaceSender::accepted);
    }

    /** What came over the relocation channel (all zero when it is not in use). */
    public ChannelStats channelStats() {
        return channelStats;
    }

    /** Connections in use (1 unless the server offers CAN_MULTI_CONN; more as the extras open). */
    public int connectionCount() {
        return connections.size();
    }

    private NbdConnection connection() {
        return connections.get(Math.floorMod(next.getAndIncrement(), connections.size()));
    }

    public Negotiated negotiated() {
        return negotiated;
    }

    @Override
    public long size() {
        return negotiated.size();
    }

    @Override
    public BlockSizes blockSizes() {
        return negotiated.blockSizes();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        long start = offset - offset % minimum;
        long end = Math.min(size(), alignUp(offset + length));
        if (start == offset && end == offset + length) {
            readAligned(offset, dst.slice());
        } else {
            // The server may refuse unaligned requests: read the aligned cover and copy out.
            ByteBuffer cover = ByteBuffer.allocate((int) (end - start));
            readAligned(start, cover);
            dst.slice().put(cover.slice((int) (offset - start), length));
        }
        dst.position(dst.limit());
    }

    private void readAligned(long offset, ByteBuffer dst) throws IOException {
        List<PendingRead> reads = new ArrayList<>();
        IOException failure = null;
        long plain = 0;
        for (int at = 0; at < dst.limit() && failure == null; at += maxRead) {
            int n = Math.min(maxRead, dst.limit() - at);
            try {
                NbdConnection c = connection();
                PendingRead read;
                if (c.channel() != null) {
                    read = new PendingRead(offset + at, dst.slice(at, n), c.channel());
                } else {
                    read = new PendingRead(offset + at, dst.slice(at, n), negotiated.structuredReplies());
                    plain += n;
                }
                reads.add(c.submit(read));
            } catch (IOException e) {
                failure = e;
            }
        }
        // Wait for every piece even after a failure: the reader writes into dst until they finish.
        for (PendingRead r : reads) {
            IOException e = await(r.done(), r);
            if (failure == null) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
        plainBytes.addAndGet(plain); // counted once received, as the channel's batches are
    }

    private static IOException await(CompletableFuture<Void> done, PendingRead read) {
        try {
            done.get();
            return null;
        } catch (InterruptedException e) {
            read.abandon();
            Thread.currentThread().interrupt();
            return new BlockDeviceException(BlockError.IO, "interrupted while waiting for " + read.what(), e);
        } catch (ExecutionException e) {
            return asIo(e.getCause());
        }
    }

    private static IOException asIo(Throwable cause) {
        if (cause instanceof BlockDeviceException b) {
            // A fresh exception, so the caller's stack shows where it waited.
            return new BlockDeviceException(b.error(), b.getMessage(), b);
        }
        return new BlockDeviceException(BlockError.IO, String.valueOf(cause.getMessage()), cause);
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        checkRange(offset, length);
        if (length == 0) {
            throw new BlockDeviceException(BlockError.INVALID, "extents of an empty range at " + offset);
        }
        if (!negotiated.blockStatus()) {
            return List.of(Extent.data(length));
        }
        if (offset % minimum != 0) {
            return List.of(Extent.data(Math.min(length, alignUp(offset) - offset)));
        }
        long limit = 0xFFFF_FFFFL - 0xFFFF_FFFFL % minimum;
        long asked = Math.min(limit, Math.min(size(), alignUp(offset + length)) - offset);
        NbdConnection connection = connection();
        PendingBlockStatus status = connection.submit(
                new PendingBlockStatus(offset, asked, connection.negotiated().allocationContext()));
        try {
            status.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(BlockError.IO, "interrupted while waiting for " + status.what(), e);
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
        List<Extent> extents = status.extents();
        long total = 0;
        List<Extent> clipped = new ArrayList<>(extents.size());
        for (Extent e : extents) {
            long n = Math.min(e.length(), length - total);
            if (n <= 0) {
                break;
            }
            clipped.add(new Extent(n, e.hole(), e.zero()));
            total += n;
        }
        return List.copyOf(clipped);
    }

    private void checkRange(long offset, long length) throws BlockDeviceException {
        if (offset < 0 || length < 0 || offset > size() - length) {
            throw new BlockDeviceException(BlockError.INVALID, "range of " + length + " bytes at " + offset
                    + " is outside the source's " + size() + " bytes");
        }
    }

    private long alignUp(long x) {
        long r = x % minimum;
        return r == 0 ? x : x + minimum - r;
    }

    @Override
    public long startTracking(int granularity) throws IOException {
        return call(PendingTracking.start(granularity)).session();
    }

    @Override
    public Optional<DirtyBlocks> dirtySince(long session, int acknowledgedRound) throws IOException {
        // Runs are checked against the finest granularity: the session's is not known after a restart.
        return call(PendingTracking.dirty(session, acknowledgedRound, (size() + 511) / 512)).answer();
    }

    @Override
    public void endTracking(long session) throws IOException {
        call(PendingTracking.end(session));
    }

    private PendingTracking call(PendingTracking request) throws IOException {
        trackingConnection().submit(request);
        try {
            request.done().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(BlockError.IO, "interrupted while waiting for " + request.what(), e);
        } catch (ExecutionException e) {
            throw asIo(e.getCause());
        }
        return request;
    }

    /** The connection that negotiated write tracking, opened on first use. */
    private NbdConnection trackingConnection() throws IOException {
        synchronized (trackingLock) {
            if (closed) {
                throw new BlockDeviceException(BlockError.SHUTDOWN, "the NBD source is closed");
            }
            if (trackingConnection != null) {
                return trackingConnection;
            }
            if (uri == null) {
                throw new TrackingUnavailableException("this NBD source was not opened from an address");
            }
            NbdConnection c = connect(uri, HANDSHAKE_TIMEOUT, replyTimeout, channelStats, true);
            if (!c.negotiated().tracking()) {
                c.close();
                throw new TrackingUnavailableException("NBD server " + uri.server() + " does not report the writes to export '"
                        + uri.exportName() + "' (it is not a Reloc server, or an older one)");
            }
            trackingConnection = c;
            return c;
        }
    }

    /** Sends NBD_CMD_DISC and closes; pending reads fail with IO. Idempotent. */
    @Override
    public void close() {
        synchronized (connectionsLock) {
            connectionsClosed = true;
        }
        Thread opening = extrasOpening;
        if (opening != null) {
            opening.interrupt();
        }
        connections.forEach(NbdConnection::close);
        synchronized (trackingLock) {
            closed = true;
            if (trackingConnection != null) {
                trackingConnection.close();
            }
        }
    }

    @Override
    public String toString() {
        return "NBD export '" + negotiated.exportName() + "' on " + connections.getFirst().server();
    }
}
