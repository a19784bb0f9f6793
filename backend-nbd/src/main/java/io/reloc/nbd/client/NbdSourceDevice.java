package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static java.util.Objects.requireNonNull;

/**
 * A remote NBD export read as a read-only {@link BlockDevice}: reads are aligned to the server's
 * minimum block size, split at its maximum payload and sent concurrently on one connection;
 * extents come from {@code base:allocation} when the server offers it. Thread safe.
 */
public final class NbdSourceDevice implements BlockDevice {
    /** Requests in flight on the connection; more callers wait. */
    public static final int MAX_IN_FLIGHT = 64;
    /** Largest read sent as one request even if the server allows more. */
    static final int MAX_READ = 32 << 20;
    /** Time a server has to finish the handshake. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    private final NbdConnection connection;
    private final Negotiated negotiated;
    private final int minimum;
    private final int maxRead;

    NbdSourceDevice(NbdConnection connection) {
        this.connection = requireNonNull(connection, "connection is null");
        this.negotiated = connection.negotiated();
        this.minimum = negotiated.blockSizes().minimum();
        int max = Math.min(negotiated.blockSizes().maximum(), MAX_READ);
        this.maxRead = Math.max(minimum, max - max % minimum);
    }

    /**
     * Connects and negotiates {@code uri}'s export.
     *
     * @throws IOException naming the server: refused, not NBD, unknown export (with the list), TLS
     */
    public static NbdSourceDevice open(NbdUri uri) throws IOException {
        NbdTransport transport = NbdTransport.connect(uri);
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(HANDSHAKE_TIMEOUT);
                transport.close();
            } catch (InterruptedException | IOException e) {
                // The handshake finished in time.
            }
        });
        try {
            Negotiated negotiated = ClientHandshake.negotiate(transport, uri.exportName());
            watchdog.interrupt();
            return new NbdSourceDevice(new NbdConnection(transport, negotiated, MAX_IN_FLIGHT));
        } catch (IOException | RuntimeException e) {
            watchdog.interrupt();
            transport.close();
            throw e;
        }
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
    public boolean isReadOnly() {
        return true;
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
        for (int at = 0; at < dst.limit() && failure == null; at += maxRead) {
            int n = Math.min(maxRead, dst.limit() - at);
            try {
                reads.add(connection.submit(new PendingRead(offset + at, dst.slice(at, n), negotiated.structuredReplies())));
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
        PendingBlockStatus status = connection.submit(new PendingBlockStatus(offset, asked, negotiated.allocationContext()));
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
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        throw readOnly();
    }

    /** Nothing to persist: the source is never written. */
    @Override
    public void flush() {}

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        throw readOnly();
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        throw readOnly();
    }

    private static BlockDeviceException readOnly() {
        return new BlockDeviceException(BlockError.READ_ONLY, "a relocation never writes its source");
    }

    /** Sends NBD_CMD_DISC and closes; pending reads fail with IO. Idempotent. */
    @Override
    public void close() {
        connection.close();
    }

    @Override
    public String toString() {
        return "nbd://" + connection.server() + "/" + negotiated.exportName();
    }
}
