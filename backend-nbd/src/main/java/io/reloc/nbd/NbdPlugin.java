package io.reloc.nbd;

import io.reloc.core.plugin.RelocPlugin;
import io.reloc.nbd.client.NbdSourceConnector;

/** Contributes the NBD front end and the NBD source connector, both as {@code "nbd"}. Binds only. */
public final class NbdPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        frontEnd("nbd").to(NbdFrontEndFactory.class);
        sourceConnector("nbd").to(NbdSourceConnector.class);
    }
}
