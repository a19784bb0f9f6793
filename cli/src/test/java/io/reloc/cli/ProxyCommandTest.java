package io.reloc.cli;

import io.reloc.core.relocation.Proxy;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ProxyCommandTest {
    @Test
    void libiscsiCredentialsParseAndNeverShow() throws Exception {
        URI uri = new URI(ProxyCommand.escapeUserInfo("iscsi://alice%s3cret@127.0.0.1:3260/iqn.2026-11.io.reloc:vm1/0"));
        assertEquals("alice%s3cret", uri.getUserInfo());
        assertEquals("iscsi://127.0.0.1:3260/iqn.2026-11.io.reloc:vm1/0", Proxy.redacted(uri));
    }

    @Test
    void otherSourcesAreLeftAlone() {
        assertEquals("nbd://127.0.0.1:10809/vm1", ProxyCommand.escapeUserInfo("nbd://127.0.0.1:10809/vm1"));
        assertEquals("file:/a%20b.img", ProxyCommand.escapeUserInfo("file:/a%20b.img"));
        assertEquals("nbd://127.0.0.1:10809/vm1", Proxy.redacted(URI.create("nbd://127.0.0.1:10809/vm1")));
    }
}
