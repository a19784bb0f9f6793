package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.MemoryBlockStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A read-only source for engine tests: it can go down, hold reads at a gate, and remembers any
 * read made after the relocation said it had detached (which I5 forbids) and any write (I2).
 */
final class TestSource implements BlockDevice {
    private final MemoryBlockStore data;
    private final byte[] content;
    final AtomicLong reads = new AtomicLong();
    volatile boolean down;
    volatile boolean detached;
    volatile String violation;
    volatile CountDownLatch gate;
    final CountDownLatch readStarted = new CountDownLatch(1);

    TestSource(byte[] content) throws IOException {
        this.content = content.clone();
        data = new MemoryBlockStore(content.length);
        data.write(0, ByteBuffer.wrap(content), false);
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
        data.read(offset, dst);
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

    private boolean isZero(long from, long to) {
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
