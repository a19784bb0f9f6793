package io.reloc.core.tracking;

import io.reloc.api.BlockDevice;
import io.reloc.api.ForwardingBlockDevice;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * An exported disk whose writes, trims and write-zeroes are recorded in a {@link WriteTracker},
 * so that a proxy pre-copying it learns what changed after it copied (hybrid pre-copy). Each
 * change is recorded after it completed and before it is acknowledged: a proxy that asks once the
 * VM has stopped sees every write. Writes that bypass this device (another process writing the
 * image file) are not seen. Everything else is passed through. Thread safe as the wrapped device.
 */
public final class TrackedDevice extends ForwardingBlockDevice {
    private final WriteTracker tracker;

    public TrackedDevice(BlockDevice device) {
        super(device);
        this.tracker = new WriteTracker(device.size());
    }

    public WriteTracker tracker() {
        return tracker;
    }

    /** The device underneath. */
    public BlockDevice device() {
        return delegate();
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        int length = src.remaining();
        try {
            delegate().write(offset, src, fua);
        } finally {
            tracker.record(offset, length);
        }
    }

    @Override
    public void writeUncached(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        try {
            delegate().writeUncached(offset, src);
        } finally {
            tracker.record(offset, length);
        }
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        try {
            delegate().trim(offset, length, fua);
        } finally {
            tracker.record(offset, length);
        }
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        try {
            delegate().writeZeroes(offset, length, flags);
        } finally {
            tracker.record(offset, length);
        }
    }

    @Override
    public String toString() {
        return delegate().toString();
    }
}
