package io.reloc.nbd.testing;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.MemoryBlockStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MemoryBlockStore} with knobs for server tests: it records calls, can fail with a chosen
 * error, report chosen extents and block sizes, and hold reads of one offset until released.
 */
public final class FakeDevice implements BlockDevice {
    private final MemoryBlockStore store;

    public final AtomicInteger flushes = new AtomicInteger();
    public final List<String> calls = new CopyOnWriteArrayList<>();
    public volatile BlockError failWith;
    /** Makes writeZeroes alone fail with NOT_SUPPORTED, as a device that cannot zero fast. */
    public volatile boolean cannotZero;
    public volatile RuntimeException crashWith;
    public volatile List<Extent> extents;
    public volatile BlockSizes blockSizes = BlockSizes.DEFAULT;
    /** Reads starting at {@link #heldOffset} wait for this latch. */
    public volatile CountDownLatch hold;
    public volatile long heldOffset = -1;

    public FakeDevice(long size, boolean readOnly) {
        this.store = new MemoryBlockStore(size, readOnly);
    }

    @Override
    public long size() {
        return store.size();
    }

    @Override
    public BlockSizes blockSizes() {
        return blockSizes;
    }

    @Override
    public boolean isReadOnly() {
        return store.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        check();
        CountDownLatch h = hold;
        if (h != null && offset == heldOffset) {
            try {
                h.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        store.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        calls.add("write " + offset + " " + src.remaining() + (fua ? " fua" : ""));
        check();
        store.write(offset, src, fua);
    }

    @Override
    public void flush() throws IOException {
        calls.add("flush");
        check();
        flushes.incrementAndGet();
        store.flush();
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        calls.add("trim " + offset + " " + length + (fua ? " fua" : ""));
        check();
        store.trim(offset, length, fua);
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        calls.add("zero " + offset + " " + length + " " + new java.util.TreeSet<>(flags));
        check();
        if (cannotZero) {
            throw new BlockDeviceException(BlockError.NOT_SUPPORTED, "cannot zero");
        }
        store.writeZeroes(offset, length, flags);
    }

    @Override
    public void cache(long offset, long length) throws IOException {
        calls.add("cache " + offset + " " + length);
        check();
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        check();
        List<Extent> e = extents;
        return e != null ? e : store.extents(offset, length);
    }

    @Override
    public void close() {
        store.close();
    }

    private void check() throws BlockDeviceException {
        if (crashWith != null) {
            throw crashWith;
        }
        BlockError e = failWith;
        if (e != null) {
            throw new BlockDeviceException(e, "injected " + e);
        }
    }
}
