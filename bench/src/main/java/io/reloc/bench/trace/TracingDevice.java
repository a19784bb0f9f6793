package io.reloc.bench.trace;

import io.reloc.api.AccessHeat;
import io.reloc.api.BlockDevice;
import io.reloc.api.ForwardingBlockDevice;
import io.reloc.api.BlockSizes;
import io.reloc.api.Extent;
import io.reloc.api.HotRegion;
import io.reloc.api.ZeroFlag;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * A device that records every request of one client in a trace, then passes it on. A request is
 * recorded when it arrives, whether or not it then succeeds. Allocation queries (block status)
 * are not requests of the workload and are not recorded. Closing it does not close the device
 * underneath, which other clients share. Thread safe if the device underneath is.
 *
 * <p>{@link #of} keeps a device's access heat map visible ({@link AccessHeat}), so that a traced
 * source still answers a relocation that asks for it.
 */
public class TracingDevice extends ForwardingBlockDevice {
    private final TraceWriter trace;
    private final int client;

    /** A tracing device that is also an {@link AccessHeat} when {@code device} is one. */
    public static TracingDevice of(BlockDevice device, TraceWriter trace, int client) {
        return device instanceof AccessHeat heat ? new WithHeat(device, heat, trace, client) : new TracingDevice(device, trace, client);
    }

    /** A traced device whose heat map stays visible. */
    private static final class WithHeat extends TracingDevice implements AccessHeat {
        private final AccessHeat heat;

        WithHeat(BlockDevice device, AccessHeat heat, TraceWriter trace, int client) {
            super(device, trace, client);
            this.heat = heat;
        }

        @Override
        public List<HotRegion> hottest(int limit) {
            return heat.hottest(limit);
        }
    }

    private TracingDevice(BlockDevice device, TraceWriter trace, int client) {
        super(device);
        this.trace = requireNonNull(trace, "trace is null");
        this.client = client;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        trace.record(client, TraceOp.READ, offset, dst.remaining());
        delegate().read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        trace.record(client, TraceOp.WRITE, offset, src.remaining());
        delegate().write(offset, src, fua);
    }

    @Override
    public void flush() throws IOException {
        trace.record(client, TraceOp.FLUSH, 0, 0);
        delegate().flush();
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        trace.record(client, TraceOp.TRIM, offset, length);
        delegate().trim(offset, length, fua);
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        trace.record(client, TraceOp.ZERO, offset, length);
        delegate().writeZeroes(offset, length, flags);
    }

    @Override
    public void cache(long offset, long length) throws IOException {
        trace.record(client, TraceOp.CACHE, offset, length);
        delegate().cache(offset, length);
    }

    /** Leaves the shared device open: its owner closes it. */
    @Override
    public void close() {
    }
}
