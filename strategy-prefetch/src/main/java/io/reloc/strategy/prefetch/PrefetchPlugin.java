package io.reloc.strategy.prefetch;

import io.reloc.core.plugin.RelocPlugin;

/** Contributes the copy strategies of this module: {@code "linear"} and {@code "readahead"}. */
public final class PrefetchPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        strategy(LinearStrategy.NAME).to(LinearStrategy.class);
        strategy(ReadaheadStrategy.NAME).to(ReadaheadStrategy.class);
    }
}
