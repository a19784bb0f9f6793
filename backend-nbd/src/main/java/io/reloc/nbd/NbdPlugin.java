package io.reloc.nbd;

import io.reloc.core.plugin.RelocPlugin;
import io.reloc.nbd.client.NbdSourceConnector;
import io.reloc.nbd.client.NbdUnixSourceConnector;

/**
 * Contributes the NBD front end as {@code "nbd"} and the NBD source connectors for {@code nbd} and
 * {@code nbd+unix} URIs. Binds only.
 */
public final class NbdPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        frontEnd("nbd").to(NbdFrontEndFactory.class);
        sourceConnector("nbd").to(NbdSourceConnector.class);
        sourceConnector("nbd+unix").to(NbdUnixSourceConnector.class);
    }
}
