package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * A volatile store in off-heap memory, for tests and demos. Flush is a no-op (nothing survives the
 * process anyway); extents report everything as data. Thread safe: byte ranges are copied with
 * bulk segment copies; concurrent writes to overlapping ranges may interleave, as on a real disk.
 */
public final class MemoryBlockStore implements BlockDevice {
    private final MemorySegment memory;
    private final boolean readOnly;
    private volatile boolean closed;

    public MemoryBlockStore(long size) {
        this(size, false);
    }

    public MemoryBlockStore(long size, boolean readOnly) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        this.memory = Arena.ofAuto().allocate(Math.max(size, 1), 4096).asSlice(0, size);
        this.readOnly = readOnly;
    }

    @Override
    public long size() {
        return memory.byteSize();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        checkOpen();
        Ranges.check(offset, length, size());
        MemorySegment.ofBuffer(dst).copyFrom(memory.asSlice(offset, length));
        dst.position(dst.limit());
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        int length = src.remaining();
        checkWritable(offset, length);
        memory.asSlice(offset, length).copyFrom(MemorySegment.ofBuffer(src));
        src.position(src.limit());
    }

    @Override
    public void flush() throws IOException {
        checkOpen();
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        writeZeroes(offset, length, Set.of());
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        checkWritable(offset, length);
        memory.asSlice(offset, length).fill((byte) 0);
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        checkOpen();
        Ranges.check(offset, length, size());
        return List.of(Extent.data(length));
    }

    @Override
    public void close() {
        // The memory is freed by the garbage collector (an automatic arena): freeing it here could
        // crash a thread still copying from it.
        closed = true;
    }

    private void checkWritable(long offset, long length) throws BlockDeviceException {
        checkOpen();
        if (readOnly) {
            throw new BlockDeviceException(BlockError.READ_ONLY, "the store is read-only");
        }
        Ranges.check(offset, length, size());
    }

    private void checkOpen() throws BlockDeviceException {
        if (closed) {
            throw new BlockDeviceException(BlockError.SHUTDOWN, "the store is closed");
        }
    }
}
