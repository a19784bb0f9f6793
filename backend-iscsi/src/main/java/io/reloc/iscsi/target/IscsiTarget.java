package io.reloc.iscsi.target;

import io.reloc.api.BlockDevice;
import io.reloc.api.Export;
import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.core.net.Listener;
import io.reloc.iscsi.scsi.LogicalUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import io.reloc.iscsi.scsi.DataBuffers;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static java.util.Objects.requireNonNull;

/**
 * An iSCSI target serving each export of an {@link ExportCatalog} as the target
 * {@code <iqn-prefix>:<export name>} with one LUN, 0. Exports are looked up at login.
 *
 * <p>Threads: one virtual thread accepts; each connection reads on a platform thread of its own
 * with blocking socket I/O, and runs its commands on virtual threads. A platform reader is woken
 * by the kernel directly when a PDU arrives; a virtual one went through the JDK's poller and a
 * carrier thread first (three more system calls and two thread hand-offs per wait), which on a
 * busy machine delayed every R2T round trip of a large write. Thread safe.
 */
public final class IscsiTarget implements FrontEnd {
    private static final Logger log = LoggerFactory.getLogger(IscsiTarget.class);

    private final InetSocketAddress listen;
    private final ExportCatalog exports;
    private final TargetConfig config;
    private final Set<SocketChannel> channels = ConcurrentHashMap.newKeySet();
    /** Direct buffers for READ data, shared by every connection: up to 64 MiB kept for reuse. */
    private final DirectBufferPool buffers = new DirectBufferPool(64L << 20);
    /** One lock per device, so COMPARE AND WRITE is atomic across sessions. */
    private final Map<BlockDevice, ReadWriteLock> writeLocks = new ConcurrentHashMap<>();
    private final AtomicInteger tsih = new AtomicInteger();
    private final AtomicLong connectionIds = new AtomicLong();
    private final Object lifecycle = new Object();

    private Listener server;
    private volatile boolean closed;

    public IscsiTarget(InetSocketAddress listen, ExportCatalog exports, TargetConfig config) {
        this.listen = requireNonNull(listen, "listen is null");
        this.exports = requireNonNull(exports, "exports is null");
        this.config = requireNonNull(config, "config is null");
    }

    @Override
    public void start() throws IOException {
        synchronized (lifecycle) {
            if (server != null || closed) {
                throw new IllegalStateException("an iSCSI target can be started once");
            }
            server = Listener.bind("iSCSI", listen, 256);
            server.accept(this::accepted);
            log.info("iSCSI target listening on {}, target names {}:<export>", localAddress(), config.iqnPrefix());
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        synchronized (lifecycle) {
            if (server == null) {
                throw new IllegalStateException("the iSCSI target is not started");
            }
            return server.address();
        }
    }

    private void accepted(SocketChannel channel) {
        long id = connectionIds.incrementAndGet();
        String peer = "iSCSI connection #" + id + " from " + channel.socket().getRemoteSocketAddress();
        channels.add(channel);
        Thread.ofPlatform().daemon().name("iscsi-conn-" + id).start(() -> {
            try {
                new Connection(channel, this, peer, buffers).serve();
            } finally {
                channels.remove(channel);
            }
        });
    }

    TargetConfig config() {
        return config;
    }

    ExportCatalog exports() {
        return exports;
    }

    boolean isClosed() {
        return closed;
    }

    /** A fresh non-zero session handle. */
    int nextTsih() {
        int t;
        do {
            t = tsih.incrementAndGet() & 0xffff;
        } while (t == 0);
        return t;
    }

    LogicalUnit logicalUnit(Export export, DataBuffers dataBuffers) {
        ReadWriteLock lock = writeLocks.computeIfAbsent(export.device(), d -> new ReentrantReadWriteLock());
        return new LogicalUnit(export.device(), export.name(), lock, dataBuffers);
    }


    @Override
    public void close() throws IOException {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (server != null) {
                server.close();
            }
        }
        for (SocketChannel s : channels) {
            try {
                s.close();
            } catch (IOException ignored) {
                // Closing anyway.
            }
        }
        log.info("iSCSI target closed");
    }
}
