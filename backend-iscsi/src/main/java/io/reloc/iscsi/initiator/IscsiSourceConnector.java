package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDevice;
import io.reloc.api.SourceConnector;

import java.io.IOException;
import java.net.URI;

/**
 * Opens {@code iscsi://[user%secret@]HOST[:PORT]/IQN/LUN} sources (libiscsi's form, default port
 * 3260; CHAP when credentials are given) as read-only {@link IscsiSourceDevice}s. Works with any
 * RFC 7143 target (reloc, tgt, LIO). Stateless and thread safe.
 */
public final class IscsiSourceConnector implements SourceConnector {
    public IscsiSourceConnector() {}

    @Override
    public String scheme() {
        return "iscsi";
    }

    @Override
    public BlockDevice open(URI uri) throws IOException {
        IscsiUri address;
        try {
            address = IscsiUri.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        try {
            return IscsiSourceDevice.open(address);
        } catch (IOException e) {
            throw new IOException("cannot open iSCSI source " + address + ": " + e.getMessage(), e);
        }
    }
}
