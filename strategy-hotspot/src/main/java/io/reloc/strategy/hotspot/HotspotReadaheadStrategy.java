package io.reloc.strategy.hotspot;

import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.api.CopyStrategy;
import io.reloc.strategy.prefetch.ReadaheadStrategy;

import java.util.List;

/**
 * {@code "hotspot+readahead"}: read-ahead of sequential readers first (a reader is waiting for
 * it), then hot regions, then the rest in block order.
 */
public final class HotspotReadaheadStrategy implements CopyStrategy {
    public static final String NAME = "hotspot+readahead";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CopyOrder create(long blockCount) {
        return create(CopyContext.of(blockCount, 64 << 10));
    }

    @Override
    public CopyOrder create(CopyContext context) {
        return new UrgentFirst(List.of(new ReadaheadStrategy().create(context), new HotspotStrategy().create(context)));
    }
}
