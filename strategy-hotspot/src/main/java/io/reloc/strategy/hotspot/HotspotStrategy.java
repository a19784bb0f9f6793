package io.reloc.strategy.hotspot;

import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.api.CopyStrategy;
import io.reloc.core.heat.HeatMap;

import java.time.Duration;
import java.time.InstantSource;

/**
 * {@code "hotspot"}: copies the source's hot regions first (its access heat map, when the source
 * is a Reloc server that recorded one), and regions the destination's clients turn out to use,
 * then the rest in block order. See {@link HotFirstOrder}.
 */
public final class HotspotStrategy implements CopyStrategy {
    public static final String NAME = "hotspot";
    /**
     * The destination's learned heat: 1 MiB regions; a two-minute half-life, since a relocation
     * lasts minutes and the working set it must catch is the current one.
     */
    static final HeatMap.Config LEARNING = new HeatMap.Config(1 << 20, 1 << 20, Duration.ofMinutes(2));

    @Override
    public String name() {
        return NAME;
    }

    /** Without a block size, assumes Reloc's default of 64 KiB; no source heat. */
    @Override
    public CopyOrder create(long blockCount) {
        return create(CopyContext.of(blockCount, 64 << 10));
    }

    @Override
    public CopyOrder create(CopyContext context) {
        return new HotFirstOrder(context.blockCount(), context.blockSize(), context.sourceHeat(), context::sourceHeatNow,
                task -> Thread.ofVirtual().name("reloc-heat-map").start(task), LEARNING, InstantSource.system());
    }
}
