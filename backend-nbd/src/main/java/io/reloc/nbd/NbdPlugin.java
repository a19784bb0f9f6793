package io.reloc.nbd;

import io.reloc.core.plugin.RelocPlugin;

/** Contributes the NBD front end as {@code "nbd"}. Binds only. */
public final class NbdPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        frontEnd("nbd").to(NbdFrontEndFactory.class);
    }
}
