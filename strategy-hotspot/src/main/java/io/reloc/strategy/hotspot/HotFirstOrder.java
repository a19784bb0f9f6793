package io.reloc.strategy.hotspot;

import io.reloc.api.BlockRange;
import io.reloc.api.CopyOrder;
import io.reloc.api.HotRegion;
import io.reloc.core.heat.HeatMap;

import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * Hot regions first, then the rest of the disk in block order.
 *
 * <p>Hot regions come from two places. The source's heat map, when a Reloc source sent one, is
 * the VM's working set before switch-over: its regions are queued hottest first. A proxy started
 * in standby asks for it at start and again at switch-over, when it holds the VM's accesses until
 * then (a longer and later history); the copier goes on with the first list until the second
 * arrives. And the
 * destination learns from its own clients: every read and write heats a {@link HeatMap} of the
 * relocated disk, and a region that has been touched twice within about a half-life
 * ({@link #LEARN_THRESHOLD}) is queued once, ahead of the source's list, since it is what the VM
 * uses now. The second touch, not the first, qualifies a region, so that a one-off random read does
 * not pull a megabyte after it. Learning is all there is when the source is a foreign NBD server.
 *
 * <p>Memory: the heat map's (bounded), a bit per region, and the source's list (bounded by the
 * engine). {@link #onAccess} is thread safe; {@link #next} and {@link #urgent} are for the
 * copier's thread.
 */
public final class HotFirstOrder implements CopyOrder {
    /**
     * Heat that makes a region hot at the destination: two touches within a half-life (the first
     * has decayed a little by the second, so the sum is a little under 2), never one.
     */
    static final double LEARN_THRESHOLD = 1.5;

    private final long blockCount;
    private final int blockSize;
    private final HeatMap learned;
    private final ArrayDeque<BlockRange> fromSource = new ArrayDeque<>();
    private final ArrayDeque<BlockRange> fromClients = new ArrayDeque<>();
    private final BitSet queued;
    private final Supplier<List<HotRegion>> sourceHeatNow;
    private final Executor refresher;

    /**
     * @param sourceHeat the source's hottest regions, hottest first (may be empty)
     * @param learning the destination's own heat map config (its half-life says how fast a region
     *     that clients stopped using cools down)
     */
    public HotFirstOrder(long blockCount, int blockSize, List<HotRegion> sourceHeat, HeatMap.Config learning,
                         InstantSource clock) {
        this(blockCount, blockSize, sourceHeat, List::of, Runnable::run, learning, clock);
    }

    /**
     * @param sourceHeatNow asks the source for its hottest regions again, at switch-over; an empty
     *     answer (no map, or none to be had) keeps the list from {@code sourceHeat}
     * @param refresher runs that question, off the copier's thread
     */
    public HotFirstOrder(long blockCount, int blockSize, List<HotRegion> sourceHeat, Supplier<List<HotRegion>> sourceHeatNow,
                         Executor refresher, HeatMap.Config learning, InstantSource clock) {
        if (blockCount < 0 || blockSize < 1) {
            throw new IllegalArgumentException("block count >= 0 and block size >= 1 expected: " + blockCount + ", " + blockSize);
        }
        this.blockCount = blockCount;
        this.blockSize = blockSize;
        this.learned = new HeatMap(blockCount * blockSize, requireNonNull(learning, "learning is null"), clock);
        this.queued = new BitSet(learned.regionCount());
        this.sourceHeatNow = requireNonNull(sourceHeatNow, "sourceHeatNow is null");
        this.refresher = requireNonNull(refresher, "refresher is null");
        queueSourceHeat(requireNonNull(sourceHeat, "sourceHeat is null"));
    }

    /** Switch-over: the source's list is replaced by its latest, once that arrives. */
    @Override
    public void activated() {
        refresher.execute(() -> {
            List<HotRegion> latest = sourceHeatNow.get();
            if (!latest.isEmpty()) {
                queueSourceHeat(latest);
            }
        });
    }

    /** Regions already copied stay in the list: the copier skips their present blocks. */
    private synchronized void queueSourceHeat(List<HotRegion> regions) {
        fromSource.clear();
        for (HotRegion region : regions) {
            blocks(region.offset(), region.length()).ifPresent(fromSource::addLast);
        }
    }

    @Override
    public long next(long cursor) {
        return Math.min(Math.max(cursor, 0), blockCount);
    }

    @Override
    public void onAccess(long first, long count, boolean write, long client) {
        long offset = first * blockSize;
        long length = count * blockSize;
        learned.record(offset, length);
        int from = learned.regionOf(offset);
        int to = learned.regionOf(Math.min(offset + length, learned.diskSize()) - 1);
        for (int region = from; region <= to; region++) {
            if (learned.heat(region) >= LEARN_THRESHOLD) {
                synchronized (this) {
                    if (!queued.get(region)) {
                        queued.set(region);
                        long start = (long) region * learned.regionSize();
                        blocks(start, learned.regionSize()).ifPresent(fromClients::addLast);
                    }
                }
            }
        }
    }

    @Override
    public synchronized Optional<BlockRange> urgent() {
        BlockRange next = fromClients.pollFirst();
        return Optional.ofNullable(next != null ? next : fromSource.pollFirst());
    }

    /** The blocks covering a byte range, clipped to the disk. */
    private Optional<BlockRange> blocks(long offset, long length) {
        long first = offset / blockSize;
        long end = Math.min(blockCount, Math.ceilDiv(offset + length, blockSize));
        return first < end ? Optional.of(new BlockRange(first, end - first)) : Optional.empty();
    }
}
