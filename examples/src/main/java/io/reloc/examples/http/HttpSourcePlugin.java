package io.reloc.examples.http;

import io.reloc.core.plugin.RelocPlugin;

/**
 * Contributes {@link HttpSourceConnector} for {@code http:} source URIs. Listed in
 * {@code META-INF/services/io.reloc.core.plugin.RelocPlugin}, so that {@code Plugins.load()} finds it.
 */
public final class HttpSourcePlugin extends RelocPlugin {
    @Override
    protected void configure() {
        sourceConnector(HttpSourceConnector.SCHEME).to(HttpSourceConnector.class);
    }
}
