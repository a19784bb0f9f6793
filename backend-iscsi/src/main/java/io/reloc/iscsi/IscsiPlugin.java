package io.reloc.iscsi;

import io.reloc.iscsi.initiator.IscsiSourceConnector;
import io.reloc.core.plugin.RelocPlugin;

/** Contributes the iSCSI front end and the iSCSI source connector, both as {@code "iscsi"}. Binds only. */
public final class IscsiPlugin extends RelocPlugin {
    @Override
    protected void configure() {
        frontEnd("iscsi").to(IscsiFrontEndFactory.class);
        sourceConnector("iscsi").to(IscsiSourceConnector.class);
    }
}
