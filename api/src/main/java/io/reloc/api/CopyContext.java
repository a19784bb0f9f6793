package io.reloc.api;

import java.util.List;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link CopyStrategy} knows about a relocation when it makes its {@link CopyOrder}.
 * Immutable and thread safe.
 */
public final class CopyContext {
    private final long blockCount;
    private final int blockSize;
    private final Supplier<List<HotRegion>> sourceHeat;
    private List<HotRegion> heat;

    /**
     * @param sourceHeat asked on the first call of {@link #sourceHeat()} and on every call of
     *     {@link #sourceHeatNow()}; must not throw (an unavailable map is an empty list)
     */
    public CopyContext(long blockCount, int blockSize, Supplier<List<HotRegion>> sourceHeat) {
        if (blockCount < 0 || blockSize < 1) {
            throw new IllegalArgumentException("block count >= 0 and block size >= 1 expected: " + blockCount + ", " + blockSize);
        }
        this.blockCount = blockCount;
        this.blockSize = blockSize;
        this.sourceHeat = requireNonNull(sourceHeat, "sourceHeat is null");
    }

    /** A context without a source heat map. */
    public static CopyContext of(long blockCount, int blockSize) {
        return new CopyContext(blockCount, blockSize, List::of);
    }

    /** Blocks of the disk. */
    public long blockCount() {
        return blockCount;
    }

    /** Bytes per block (the last block may be shorter). */
    public int blockSize() {
        return blockSize;
    }

    /**
     * The source's hottest regions, hottest first, when the source recorded them (a Reloc server
     * in target mode); empty otherwise. Fetched from the source on the first call only, so a
     * strategy that does not need it costs nothing.
     */
    public synchronized List<HotRegion> sourceHeat() {
        if (heat == null) {
            heat = List.copyOf(sourceHeat.get());
        }
        return heat;
    }

    /**
     * The source's hottest regions asked again, for an order that ranked the disk before
     * switch-over and wants the VM's accesses at the source since then (see
     * {@link CopyOrder#activated()}); later calls of {@link #sourceHeat()} return it. It may take
     * a few round trips to the source: call it off the copier's thread.
     */
    public List<HotRegion> sourceHeatNow() {
        List<HotRegion> now = List.copyOf(sourceHeat.get());
        synchronized (this) {
            heat = now;
        }
        return now;
    }
}
