package io.reloc.core.heat;

import io.reloc.api.AccessHeat;
import io.reloc.api.HotRegion;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

import static java.util.Objects.requireNonNull;

/**
 * A decaying access heat map of a disk: the disk is cut into fixed-size regions, every read or
 * write adds one to the heat of each region it touches, and heat halves every half-life, so a
 * region's heat counts recent accesses more than old ones (an exponentially weighted count).
 *
 * <p>Memory is bounded whatever the disk size: one {@code double} per region, and the region size
 * grows (by powers of two from the configured one) until the disk has at most
 * {@link Config#maxRegions()} regions — 8 MiB for the default million regions.
 *
 * <p>Decay costs nothing per access: rather than shrinking every region as time passes, an access
 * at time {@code t} adds {@code 2^(t / halfLife)} and a reading divides by the same factor for now.
 * When that factor grows large every stored value is rescaled once, so no value overflows.
 *
 * <p>Used at the source ({@code reloc serve} records what its clients touch) and at a destination
 * that learns hot spots from its own clients. Thread safe.
 */
public final class HeatMap implements AccessHeat {
    /** Rescale stored values before the growth factor comes near the range of a double. */
    private static final double RESCALE_AT = 0x1p200;

    /**
     * How a heat map cuts and forgets.
     *
     * @param regionSize bytes per region (before growing for a large disk), a power of two
     * @param maxRegions most regions kept, whatever the disk size
     * @param halfLife time after which an access counts half
     */
    public record Config(long regionSize, int maxRegions, Duration halfLife) {
        /** 1 MiB regions, at most 2^20 of them (8 MiB of memory), a half-life of ten minutes. */
        public static final Config DEFAULT = new Config(1 << 20, 1 << 20, Duration.ofMinutes(10));

        public Config {
            requireNonNull(halfLife, "halfLife is null");
            if (regionSize < 1 || Long.bitCount(regionSize) != 1 || maxRegions < 1 || halfLife.toMillis() < 1) {
                throw new IllegalArgumentException("a heat map needs a power-of-two region size, at least one region and a "
                        + "half-life of at least a millisecond: " + regionSize + ", " + maxRegions + ", " + halfLife);
            }
        }
    }

    private final long diskSize;
    private final long regionSize;
    private final int shift;
    private final double halfLifeMillis;
    private final InstantSource clock;
    private final double[] stored;
    /** Time at which stored values equal heat (factor 1). */
    private long originMillis;
    /** What an access adds at {@link #weightMillis}; recomputed when the clock moves. */
    private double weight = 1;
    private long weightMillis;

    public HeatMap(long diskSize, Config config, InstantSource clock) {
        requireNonNull(config, "config is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (diskSize < 0) {
            throw new IllegalArgumentException("disk size must not be negative: " + diskSize);
        }
        this.diskSize = diskSize;
        long size = config.regionSize();
        while (regions(diskSize, size) > config.maxRegions()) {
            size <<= 1;
        }
        this.regionSize = size;
        this.shift = Long.numberOfTrailingZeros(size);
        this.halfLifeMillis = config.halfLife().toMillis();
        this.stored = new double[(int) regions(diskSize, size)];
        this.originMillis = clock.millis();
        this.weightMillis = originMillis;
    }

    private static long regions(long diskSize, long regionSize) {
        return diskSize == 0 ? 0 : (diskSize - 1) / regionSize + 1;
    }

    public long diskSize() {
        return diskSize;
    }

    /** Bytes per region (the last region may be shorter). */
    public long regionSize() {
        return regionSize;
    }

    public int regionCount() {
        return stored.length;
    }

    /** The region holding byte {@code offset}. */
    public int regionOf(long offset) {
        return (int) (offset >>> shift);
    }

    /**
     * Counts an access of {@code [offset, offset + length)}: one for each region it touches. Out of
     * range parts are ignored (the device checks ranges, not its heat map).
     */
    public void record(long offset, long length) {
        if (length <= 0 || offset < 0 || offset >= diskSize) {
            return;
        }
        int first = regionOf(offset);
        int last = regionOf(Math.min(offset + length, diskSize) - 1);
        synchronized (this) {
            long now = clock.millis();
            if (now != weightMillis) {
                // Once per millisecond at most: this runs on every client request.
                weight = factor(now);
                weightMillis = now;
                if (weight > RESCALE_AT) {
                    rescale();
                    weight = factor(now);
                }
            }
            for (int r = first; r <= last; r++) {
                stored[r] += weight;
            }
        }
    }

    /** Heat of region {@code region} now. */
    public synchronized double heat(int region) {
        return stored[region] / factor(clock.millis());
    }

    /** Heat of every region now, indexed by region (a copy). */
    public synchronized double[] heats() {
        double f = factor(clock.millis());
        double[] now = new double[stored.length];
        for (int i = 0; i < now.length; i++) {
            now[i] = stored[i] / f;
        }
        return now;
    }

    /**
     * Sets region {@code region}'s heat now to {@code heat} (what a saved map held, decayed to
     * now).
     */
    public synchronized void set(int region, double heat) {
        if (!(heat >= 0) || Double.isInfinite(heat)) {
            throw new IllegalArgumentException("heat must be finite and not negative: " + heat);
        }
        stored[region] = heat * factor(clock.millis());
    }

    /** Forgets every access. */
    public synchronized void clear() {
        java.util.Arrays.fill(stored, 0);
        originMillis = clock.millis();
        weight = 1;
        weightMillis = originMillis;
    }

    /** The time it takes heat to halve. */
    public Duration halfLife() {
        return Duration.ofMillis((long) halfLifeMillis);
    }

    @Override
    public List<HotRegion> hottest(int limit) {
        if (limit < 1) {
            return List.of();
        }
        double[] now = heats();
        // Keep the hottest `limit` in a min-heap: O(regions log limit), memory O(limit).
        PriorityQueue<Integer> top = new PriorityQueue<>(Comparator.comparingDouble((Integer r) -> now[r])
                .thenComparing(Comparator.reverseOrder()));
        for (int r = 0; r < now.length; r++) {
            if (now[r] <= 0) {
                continue;
            }
            if (top.size() < limit) {
                top.add(r);
            } else if (now[r] > now[top.peek()]) {
                top.poll();
                top.add(r);
            }
        }
        List<HotRegion> result = new ArrayList<>(top.size());
        while (!top.isEmpty()) {
            int r = top.poll();
            long start = (long) r << shift;
            result.add(new HotRegion(start, Math.min(regionSize, diskSize - start), now[r]));
        }
        return result.reversed();
    }

    private double factor(long nowMillis) {
        return Math.pow(2, (nowMillis - originMillis) / halfLifeMillis);
    }

    /** Makes stored values equal to heat again; call holding the lock. */
    private void rescale() {
        long now = clock.millis();
        double f = factor(now);
        for (int i = 0; i < stored.length; i++) {
            stored[i] /= f;
        }
        originMillis = now;
    }
}
