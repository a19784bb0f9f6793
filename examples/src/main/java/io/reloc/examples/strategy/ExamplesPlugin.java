package io.reloc.examples.strategy;

import io.reloc.core.plugin.RelocPlugin;

/**
 * The Guice module of the examples: contributes the copy strategy {@code "shuffled"}. Listed in
 * {@code META-INF/services/io.reloc.core.plugin.RelocPlugin}, so that {@code Plugins.load()}
 * finds it; like every plugin it only binds.
 */
public final class ExamplesPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        strategy(ShuffledStrategy.NAME).to(ShuffledStrategy.class);
    }
}
