package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.MemoryBlockStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * A local store that can lose power: writes land in a volatile image; {@link #flush()} makes
 * the image durable; {@link #crash()} throws away everything not flushed. The harshest crash a
 * disk with a write cache can have.
 */
final class CrashableStore implements BlockDevice {
    private final MemoryBlockStore current;
    private final byte[] durable;

    CrashableStore(long size) {
        current = new MemoryBlockStore(size);
        durable = new byte[Math.toIntExact(size)];
    }

    synchronized void crash() throws IOException {
        current.write(0, ByteBuffer.wrap(durable), false);
    }

    @Override
    public long size() {
        return current.size();
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        current.read(offset, dst);
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        current.write(offset, src, false);
        if (fua) {
            flush();
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        current.read(0, ByteBuffer.wrap(durable));
    }

    @Override
    public synchronized void trim(long offset, long length, boolean fua) throws IOException {
        current.trim(offset, length, false);
        if (fua) {
            flush();
        }
    }

    @Override
    public synchronized void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        current.writeZeroes(offset, length, Set.of());
        if (flags.contains(ZeroFlag.FUA)) {
            flush();
        }
    }

    @Override
    public void close() {}
}
