package io.reloc.iscsi;

import io.reloc.core.plugin.RelocPlugin;

/** Contributes the iSCSI front end as {@code "iscsi"}. Binds only. */
public final class IscsiPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        frontEnd("iscsi").to(IscsiFrontEndFactory.class);
    }
}
