package io.reloc.strategy.prefetch;

import io.reloc.core.plugin.RelocPlugin;

/** Contributes the copy strategies of this module: {@code "linear"}. */
public final class PrefetchPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        strategy(LinearStrategy.NAME).to(LinearStrategy.class);
    }
}
