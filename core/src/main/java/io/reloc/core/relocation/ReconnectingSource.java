package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.ReadOnlyBlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.core.net.LinkBytes;
import io.reloc.core.net.ReplyPacing;
import io.reloc.core.tracking.DirtyBlocks;
import io.reloc.core.tracking.SourceTracking;
import io.reloc.core.tracking.TrackingUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * A relocation source that survives outages: when a read fails for a reason other than a bad
 * request, the connection is dropped and reopened with exponential back-off, and the read is
 * retried. A read gives up with {@link BlockError#IO} only when the source has stayed unreachable
 * for the hold timeout, so a client sees either the right bytes or EIO, never wrong data.
 * {@link #redirect} points it at a new address (the source moved). Write tracking (hybrid
 * pre-copy) is passed to the connection, when it offers it; a session lives at the source, so it
 * survives reconnects, and a source that restarted says it does not know it. Thread safe;
 * read-only.
 */
public final class ReconnectingSource implements ReadOnlyBlockDevice, SourceTracking, LinkBytes, ReplyPacing {
    private static final Logger log = LoggerFactory.getLogger(ReconnectingSource.class);
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Opens one connection to the source. */
    @FunctionalInterface
    public interface Opener {
        BlockDevice open() throws IOException;
    }

    private final long size;
    private final long holdNanos;
    private final Object lock = new Object();
    private Opener opener;
    private String description;
    private BlockDevice connection;
    private long backoffNanos = MIN_BACKOFF_NANOS;
    private long nextAttemptNanos;
    private boolean closed;
    private final java.util.concurrent.atomic.AtomicLong bytesRead = new java.util.concurrent.atomic.AtomicLong();
    /** Link bytes counted by connections since dropped (written under lock). */
    private volatile long droppedLinkBytes;
    /** Their data bytes (written under lock). */
    private volatile long droppedDataBytes;
    /** The connection whose link bytes count now: {@link #connection}, readable without the lock. */
    private volatile BlockDevice counting;
    /** The pace asked last (0: none), asked again of each new connection. */
    private volatile long pace;
    /** Whether the connections count link bytes themselves (else the bytes read stand for them). */
    private final boolean countsLinkBytes;

    /**
     * Opens the first connection now, so a wrong address fails at start with the connector's
     * message rather than on the first client read.
     */
    public ReconnectingSource(Opener opener, String description, Duration hold) throws IOException {
        this.opener = requireNonNull(opener, "opener is null");
        this.description = requireNonNull(description, "description is null");
        this.holdNanos = hold.toNanos();
        this.connection = opener.open();
        this.counting = connection;
        this.countsLinkBytes = connection instanceof LinkBytes;
        this.size = connection.size();
    }

    /** Uses a new address from now on; reads in progress retry there. */
    public void redirect(Opener newOpener, String newDescription) {
        synchronized (lock) {
            opener = requireNonNull(newOpener, "newOpener is null");
            description = requireNonNull(newDescription, "newDescription is null");
            dropLocked(connection);
            backoffNanos = MIN_BACKOFF_NANOS;
            nextAttemptNanos = 0;
            lock.notifyAll();
        }
        log.info("source redirected to {}", newDescription);
    }

    public String description() {
        synchronized (lock) {
            return description;
        }
    }

    /** Whether a connection is open right now (for the status). */
    public boolean isConnected() {
        synchronized (lock) {
            return connection != null;
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int position = dst.position();
        retrying("read of " + dst.remaining() + " bytes at " + offset, source -> {
            dst.position(position);
            source.read(offset, dst);
            return null;
        });
        bytesRead.addAndGet(dst.position() - position);
    }

    /** Payload bytes read from the source through this object so far (what the status reports). */
    public long bytesRead() {
        return bytesRead.get();
    }

    /**
     * Drops the connection and opens a new one at once, skipping any back-off: what an operator
     * asks for after repairing the network.
     *
     * @throws IOException if the source cannot be reached now (reads keep retrying with back-off)
     */
    public void reconnect() throws IOException {
        log.info("reconnecting to source {}", description());
        synchronized (lock) {
            dropLocked(connection);
            backoffNanos = MIN_BACKOFF_NANOS;
            nextAttemptNanos = 0;
            lock.notifyAll();
            if (connection(System.nanoTime()) == null) {
                throw new IOException("cannot reach source " + description + " now; reads keep retrying with back-off");
            }
        }
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        return retrying("allocation status at " + offset, source -> source.extents(offset, length));
    }

    @Override
    public long startTracking(int granularity) throws IOException {
        return retrying("start of write tracking", source -> tracking(source).startTracking(granularity));
    }

    @Override
    public Optional<DirtyBlocks> dirtySince(long session, int acknowledgedRound) throws IOException {
        return retrying("query of written blocks", source -> tracking(source).dirtySince(session, acknowledgedRound));
    }

    @Override
    public void endTracking(long session) throws IOException {
        retrying("end of write tracking", source -> {
            tracking(source).endTracking(session);
            return null;
        });
    }

    private SourceTracking tracking(BlockDevice source) throws TrackingUnavailableException {
        if (source instanceof SourceTracking tracking) {
            return tracking;
        }
        throw new TrackingUnavailableException("source " + description() + " cannot report the writes it receives "
                + "(only a Reloc server can)");
    }

    @FunctionalInterface
    private interface SourceCall<T> {
        T call(BlockDevice source) throws IOException;
    }

    private <T> T retrying(String what, SourceCall<T> call) throws IOException {
        long deadline = System.nanoTime() + holdNanos;
        IOException last = null;
        while (true) {
            BlockDevice source = connection(deadline);
            if (source == null) {
                throw new BlockDeviceException(BlockError.IO, what + " failed: source " + description()
                        + " unreachable for " + TimeUnit.NANOSECONDS.toSeconds(holdNanos) + " s"
                        + (last == null ? "" : " (" + last.getMessage() + ")"), last);
            }
            try {
                return call.call(source);
            } catch (TrackingUnavailableException e) {
                throw e; // a property of the source, not an outage
            } catch (BlockDeviceException e) {
                if (e.error() == BlockError.INVALID) {
                    throw e;
                }
                last = e;
                broken(source, e);
            } catch (IOException e) {
                last = e;
                broken(source, e);
            }
        }
    }

    /** The open connection, reconnecting as needed; null once the deadline passes. */
    private BlockDevice connection(long deadline) throws IOException {
        synchronized (lock) {
            while (true) {
                if (closed) {
                    throw new BlockDeviceException(BlockError.SHUTDOWN, "the source connection is closed");
                }
                if (connection != null) {
                    return connection;
                }
                long now = System.nanoTime();
                if (now >= nextAttemptNanos) {
                    try {
                        BlockDevice fresh = opener.open();
                        if (fresh.size() != size) {
                            fresh.close();
                            throw new IOException("source " + description + " now has " + fresh.size() + " bytes, not " + size);
                        }
                        connection = fresh;
                        counting = fresh;
                        if (pace > 0 && fresh instanceof ReplyPacing p) {
                            p.paceReplies(pace);
                        }
                        backoffNanos = MIN_BACKOFF_NANOS;
                        log.info("source {} reconnected", description);
                        return fresh;
                    } catch (IOException e) {
                        log.warn("cannot reach source {}: {}; retrying in {} ms", description, e.getMessage(),
                                TimeUnit.NANOSECONDS.toMillis(backoffNanos));
                        nextAttemptNanos = now + backoffNanos;
                        backoffNanos = Math.min(backoffNanos * 2, MAX_BACKOFF_NANOS);
                    }
                }
                long wait = Math.min(nextAttemptNanos, deadline) - System.nanoTime();
                if (System.nanoTime() >= deadline) {
                    return null;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, Math.max(wait, 1));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BlockDeviceException(BlockError.IO, "interrupted while waiting for the source", e);
                }
            }
        }
    }

    private void broken(BlockDevice source, IOException cause) {
        synchronized (lock) {
            if (connection == source) {
                log.warn("source {} failed: {}; reconnecting", description, cause.getMessage());
                dropLocked(source);
            }
        }
    }

    private void dropLocked(BlockDevice source) {
        if (connection == source && source != null) {
            connection = null;
            counting = null;
            // After the connection left the count: a reader meanwhile sees too little, never twice.
            droppedLinkBytes += linkBytesOf(source);
            droppedDataBytes += source instanceof LinkBytes counted ? counted.dataBytesReceived() : 0;
            try {
                source.close();
            } catch (IOException e) {
                log.debug("closing a broken source connection: {}", e.getMessage());
            }
        }
    }

    /**
     * Bytes of read replies on the link, over every connection this source has had; the bytes
     * read when the connections do not count them (a file source). Without the lock, so that a
     * reconnection in progress does not hold the caller; may lag for a moment while a
     * connection is dropped.
     */
    @Override
    public long linkBytesReceived() {
        if (!countsLinkBytes) {
            return bytesRead.get();
        }
        BlockDevice current = counting;
        return droppedLinkBytes + (current == null ? 0 : linkBytesOf(current));
    }

    /** The data bytes of {@link #linkBytesReceived}'s replies; the bytes read when the connections do not count. */
    @Override
    public long dataBytesReceived() {
        if (!countsLinkBytes) {
            return bytesRead.get();
        }
        BlockDevice current = counting;
        return droppedDataBytes + (current instanceof LinkBytes counted ? counted.dataBytesReceived() : 0);
    }

    /** Asks the current connection, and each one after it, to pace its replies; see {@link ReplyPacing}. */
    @Override
    public void paceReplies(long bytesPerSecond) {
        pace = bytesPerSecond;
        if (counting instanceof ReplyPacing p) {
            p.paceReplies(bytesPerSecond);
        }
    }

    private long linkBytesOf(BlockDevice source) {
        return source instanceof LinkBytes counted ? counted.linkBytesReceived() : 0;
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            dropLocked(connection);
            lock.notifyAll();
        }
    }
}
