package io.reloc.strategy.hotspot;

import io.reloc.core.plugin.RelocPlugin;

/** Contributes the copy strategies of this module: {@code "hotspot"} and {@code "hotspot+readahead"}. */
public final class HotspotPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        strategy(HotspotStrategy.NAME).to(HotspotStrategy.class);
        strategy(HotspotReadaheadStrategy.NAME).to(HotspotReadaheadStrategy.class);
    }
}
