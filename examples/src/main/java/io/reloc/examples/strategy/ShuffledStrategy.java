package io.reloc.examples.strategy;

import io.reloc.api.CopyOrder;
import io.reloc.api.CopyStrategy;

import java.util.SplittableRandom;

/**
 * An example copy strategy, {@code shuffled}: the background copier visits the disk in regions
 * of 16 MiB-worth of blocks (at most 4096 regions), the regions in a random but fixed order, each
 * region from its start to its end. It is the classic "no knowledge" baseline between linear
 * order and a strategy that knows where the hot data is, and it shows everything a strategy needs:
 * a class implementing {@link CopyStrategy}, and a Guice module ({@link ExamplesPlugin}) listed in
 * {@code META-INF/services/io.reloc.core.plugin.RelocPlugin}. With this module on the class path,
 * {@code reloc experiment --strategy linear,shuffled} compares it with the built-in order.
 *
 * <p>How a {@link CopyOrder} works: the copier asks {@code next(cursor)} where to look next,
 * {@code cursor} being the block after the run it planned last (0 at the start of a pass), then
 * copies the first absent block at or after the answer. When nothing is absent from there to the
 * end of the disk, the copier starts a new pass at cursor 0; the order here then walks the disk
 * linearly, which sweeps up whatever the shuffled pass left.
 */
public final class ShuffledStrategy implements CopyStrategy {
    public static final String NAME = "shuffled";
    /** Region size aimed at with 64 KiB blocks: 256 blocks. */
    static final long REGION_BLOCKS = 256;
    static final int MAX_REGIONS = 4096;
    private final long seed;

    /** The order of the regions is the same for every relocation: seed 1. */
    public ShuffledStrategy() {
        this(1);
    }

    /** @param seed chooses the order of the regions */
    public ShuffledStrategy(long seed) {
        this.seed = seed;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CopyOrder create(long blockCount) {
        if (blockCount < 0) {
            throw new IllegalArgumentException("block count must not be negative: " + blockCount);
        }
        long regionBlocks = Math.max(REGION_BLOCKS, Math.ceilDiv(blockCount, MAX_REGIONS));
        int regions = (int) Math.max(1, Math.ceilDiv(blockCount, regionBlocks));
        int[] order = new int[regions];
        for (int i = 0; i < regions; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = regions - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return new CopyOrder() {
            // Used from the copier's one thread only.
            private int region = -1;

            @Override
            public long next(long cursor) {
                if (region >= regions) {
                    return Math.min(Math.max(cursor, 0), blockCount);  // the sweeping pass
                }
                long start = region < 0 ? -1 : order[region] * regionBlocks;
                long end = Math.min(blockCount, start + regionBlocks);
                if (region >= 0 && cursor > start && cursor < end) {
                    return cursor;  // still inside the current region
                }
                region++;
                // After the last region: the end of the disk, so that the copier starts its next pass.
                return region < regions ? order[region] * regionBlocks : blockCount;
            }
        };
    }
}
