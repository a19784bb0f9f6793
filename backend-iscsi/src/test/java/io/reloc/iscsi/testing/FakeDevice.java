package io.reloc.iscsi.testing;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.MemoryBlockStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A memory device that counts flushes, records zeroing calls, reports zeroed ranges as holes and
 * can be told to fail every call with a {@link BlockError}.
 */
public class FakeDevice implements BlockDevice {
    private final MemoryBlockStore memory;
    private final boolean readOnly;
    public volatile int flushes;
    public final List<String> zeroCalls = new ArrayList<>();
    public volatile BlockError failWith;
    private final java.util.TreeMap<Long, Long> holes = new java.util.TreeMap<>();

    public FakeDevice(long size, boolean readOnly) {
        this.memory = new MemoryBlockStore(size);
        this.readOnly = readOnly;
    }

    private void maybeFail() throws BlockDeviceException {
        BlockError e = failWith;
        if (e != null) {
            throw new BlockDeviceException(e, "injected " + e);
        }
    }

    @Override
    public long size() {
        return memory.size();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        maybeFail();
        memory.read(offset, dst);
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        maybeFail();
        if (readOnly) {
            throw new BlockDeviceException(BlockError.READ_ONLY, "read-only");
        }
        holes.clear();
        memory.write(offset, src, fua);
    }

    @Override
    public void flush() throws IOException {
        maybeFail();
        flushes++;
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        writeZeroes(offset, length, Set.of());
    }

    @Override
    public synchronized void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        maybeFail();
        zeroCalls.add(offset + "+" + length + (flags.contains(ZeroFlag.NO_HOLE) ? " keep" : " punch"));
        memory.writeZeroes(offset, length, flags);
        if (!flags.contains(ZeroFlag.NO_HOLE)) {
            holes.put(offset, length);
        }
    }

    /** Reports the first punched range as a hole, the rest as data. */
    @Override
    public synchronized List<Extent> extents(long offset, long length) throws IOException {
        maybeFail();
        var hole = holes.floorEntry(offset);
        if (hole != null && offset < hole.getKey() + hole.getValue()) {
            return List.of(Extent.hole(Math.min(length, hole.getKey() + hole.getValue() - offset)));
        }
        var next = holes.ceilingEntry(offset);
        if (next != null && next.getKey() < offset + length) {
            return List.of(Extent.data(next.getKey() - offset),
                    Extent.hole(Math.min(next.getValue(), offset + length - next.getKey())));
        }
        return List.of(Extent.data(length));
    }

    @Override
    public void close() {}
}
