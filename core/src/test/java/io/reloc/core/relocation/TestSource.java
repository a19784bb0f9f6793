package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.core.tracking.DirtyBlocks;
import io.reloc.core.tracking.SourceTracking;
import io.reloc.core.tracking.TrackingUnavailableException;
import io.reloc.core.tracking.WriteTracker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-only source for engine tests: it can go down, hold reads at a gate, and remembers any
 * read made after the relocation said it had detached (which I5 forbids) and any write (I2).
 * For hybrid pre-copy it tracks the writes made "at the source" ({@link #writeAtSource}, what the
 * VM does before switch-over) like a Reloc server, can forget its sessions as a restarted server
 * would ({@link #restart}), and can hold a read after its data was taken ({@link #holdAfterRead}),
 * so a test can write at the source while a copy is on the wire.
 */
final class TestSource implements BlockDevice, SourceTracking {
    private final MemoryBlockStore data;
    private final byte[] content;
    final AtomicLong reads = new AtomicLong();
    volatile boolean down;
    volatile boolean detached;
    volatile String violation;
    volatile CountDownLatch gate;
    /** When set, a read takes its data, counts down {@link #readTaken}, then waits for this. */
    volatile CountDownLatch holdAfterRead;
    volatile CountDownLatch readTaken = new CountDownLatch(1);
    /** False: behaves like a foreign server that cannot track writes. */
    volatile boolean tracks = true;
    private volatile WriteTracker tracker;
    final CountDownLatch readStarted = new CountDownLatch(1);

    TestSource(byte[] content) throws IOException {
        this.content = content.clone();
        data = new MemoryBlockStore(content.length);
        data.write(0, ByteBuffer.wrap(content), false);
        tracker = new WriteTracker(content.length);
    }

    /** A write at the source (the VM before switch-over), recorded for every tracking session. */
    synchronized void writeAtSource(long offset, byte[] bytes) throws IOException {
        data.write(offset, ByteBuffer.wrap(bytes), false);
        System.arraycopy(bytes, 0, content, (int) offset, bytes.length);
        tracker.record(offset, bytes.length);
    }

    /** The source's bytes now. */
    synchronized byte[] content() {
        return content.clone();
    }

    /** A restarted server: every tracking session is gone. */
    void restart() {
        tracker = new WriteTracker(content.length);
    }

    int trackingSessions() {
        return tracker.sessions();
    }

    @Override
    public long startTracking(int granularity) throws IOException {
        checkTracking();
        return tracker.start(granularity);
    }

    @Override
    public Optional<DirtyBlocks> dirtySince(long session, int acknowledgedRound) throws IOException {
        checkTracking();
        return tracker.dirty(session, acknowledgedRound);
    }

    @Override
    public void endTracking(long session) throws IOException {
        checkTracking();
        tracker.end(session);
    }

    private void checkTracking() throws IOException {
        if (!tracks) {
            throw new TrackingUnavailableException("this test source does not track writes");
        }
        if (down) {
            throw new BlockDeviceException(BlockError.IO, "source unreachable");
        }
    }

    @Override
    public long size() {
        return data.size();
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        reads.incrementAndGet();
        if (detached) {
            violation = "source read at " + offset + " after the relocation detached";
        }
        readStarted.countDown();
        CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BlockDeviceException(BlockError.IO, "interrupted");
            }
        }
        if (down) {
            throw new BlockDeviceException(BlockError.IO, "source unreachable");
        }
        CountDownLatch hold = holdAfterRead;
        if (hold == null) {
            synchronized (this) {
                data.read(offset, dst);
            }
            return;
        }
        ByteBuffer taken = ByteBuffer.allocate(dst.remaining());
        synchronized (this) {
            data.read(offset, taken);
        }
        readTaken.countDown();
        try {
            hold.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BlockDeviceException(BlockError.IO, "interrupted");
        }
        dst.put(taken.flip());
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        if (down) {
            throw new BlockDeviceException(BlockError.IO, "source unreachable");
        }
        // Zero runs are reported as holes, in 512-byte units, as a sparse file's server would.
        List<Extent> result = new java.util.ArrayList<>();
        long end = offset + length;
        long at = offset;
        while (at < end && result.size() < 1024) {
            boolean zero = isZero(at, Math.min(end, at + 512));
            long runEnd = at;
            while (runEnd < end && isZero(runEnd, Math.min(end, runEnd + 512)) == zero) {
                runEnd = Math.min(end, runEnd + 512);
            }
            result.add(zero ? Extent.hole(runEnd - at) : Extent.data(runEnd - at));
            at = runEnd;
        }
        return result;
    }

    private synchronized boolean isZero(long from, long to) {
        for (long i = from; i < to; i++) {
            if (content[(int) i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) {
        violation = "the source was written";
    }

    @Override
    public void flush() {}

    @Override
    public void trim(long offset, long length, boolean fua) {
        violation = "the source was trimmed";
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) {
        violation = "the source was zeroed";
    }

    @Override
    public void close() {}
}
