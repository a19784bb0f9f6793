package io.reloc.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A device that passes every call to another one: the base of decorators that watch or record
 * some calls (writes for pre-copy tracking, accesses for heat maps, traces) and override only
 * those. Data reaches a device through {@code write}, {@code writeUncached}, {@code trim} and
 * {@code writeZeroes}, each forwarded as itself: a decorator that must see every change
 * overrides all four.
 */
public abstract class ForwardingBlockDevice implements BlockDevice {
    private final BlockDevice delegate;

    protected ForwardingBlockDevice(BlockDevice delegate) {
        this.delegate = requireNonNull(delegate, "delegate is null");
    }

    /** The device calls are passed to. */
    protected final BlockDevice delegate() {
        return delegate;
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public BlockSizes blockSizes() {
        return delegate.blockSizes();
    }

    @Override
    public boolean isReadOnly() {
        return delegate.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        delegate.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        delegate.write(offset, src, fua);
    }

    @Override
    public void flush() throws IOException {
        delegate.flush();
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        delegate.trim(offset, length, fua);
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        delegate.writeZeroes(offset, length, flags);
    }

    @Override
    public void cache(long offset, long length) throws IOException {
        delegate.cache(offset, length);
    }

    @Override
    public void allocate(long offset, long length) throws IOException {
        delegate.allocate(offset, length);
    }

    @Override
    public void writeUncached(long offset, ByteBuffer src) throws IOException {
        delegate.writeUncached(offset, src);
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        return delegate.extents(offset, length);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
