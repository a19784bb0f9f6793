package io.reloc.iscsi;

import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.target.ChapCredentials;
import io.reloc.iscsi.target.TargetConfig;
import io.reloc.iscsi.testing.TestInitiator;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IscsiPluginTest {

    @Test
    void pluginLoadsThroughServiceLoaderAndServes() throws Exception {
        Plugins plugins = Plugins.load();
        assertTrue(plugins.pluginNames().contains(IscsiPlugin.class.getName()), plugins.pluginNames().toString());
        FrontEndFactory factory = plugins.frontEnds().get("iscsi");
        assertInstanceOf(IscsiFrontEndFactory.class, factory);
        assertEquals("iscsi", factory.name());

        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("vm1", "", new MemoryBlockStore(1 << 20)));
        try (FrontEnd server = factory.create(new FrontEndConfig(new InetSocketAddress("127.0.0.1", 0),
                Map.of("iqn-prefix", "iqn.2000-01.com.example")), exports)) {
            server.start();
            try (TestInitiator i = new TestInitiator(server.localAddress())) {
                Pdu login = i.loginNormal("iqn.2000-01.com.example:vm1", Map.of());
                assertEquals(0, login.byteAt(36));
                i.send(i.command(new byte[16], 0, false, false, true, new byte[0]));
                Pdu r = i.receive();
                assertEquals(Opcode.SCSI_RESPONSE, r.opcode());
                assertEquals(0, r.byteAt(3));
            }
        }
    }

    @Test
    void optionsParse() {
        TargetConfig d = IscsiFrontEndFactory.parse(Map.of());
        assertEquals("iqn.2026-11.io.reloc", d.iqnPrefix());
        assertEquals("iqn.2026-11.io.reloc:vm1", d.targetName("vm1"));
        assertEquals(Optional.empty(), d.chap());
        TargetConfig c = IscsiFrontEndFactory.parse(Map.of("iqn-prefix", "iqn.2001-04.com.example",
                "chap-user", "u", "chap-secret", "s", "mutual-chap-user", "t", "mutual-chap-secret", "ts"));
        assertEquals(Optional.of(new ChapCredentials("u", "s")), c.chap());
        assertEquals(Optional.of(new ChapCredentials("t", "ts")), c.mutualChap());
        assertEquals(Optional.of("vm1"), c.exportName("iqn.2001-04.com.example:vm1"));
        assertEquals(Optional.of("vm1"), c.exportName("IQN.2001-04.COM.EXAMPLE:vm1"));
        assertEquals(Optional.empty(), c.exportName("iqn.2001-04.com.example"));
    }

    @Test
    void anExportCanHaveAnExplicitIqn() {
        TargetConfig c = IscsiFrontEndFactory.parse(Map.of("iqn.vm1", "iqn.2001-04.com.example:storage.vm1"));
        assertEquals("iqn.2001-04.com.example:storage.vm1", c.targetName("vm1"));
        assertEquals("iqn.2026-11.io.reloc:vm2", c.targetName("vm2"));
        assertEquals(Optional.of("vm1"), c.exportName("IQN.2001-04.com.example:storage.VM1"));
        assertEquals(Optional.of("vm2"), c.exportName("iqn.2026-11.io.reloc:vm2"));
        // The explicit name replaces the prefixed one.
        assertEquals(Optional.empty(), c.exportName("iqn.2026-11.io.reloc:vm1"));
        assertEquals("eui.0123456789ABCDEF", IscsiFrontEndFactory.parse(Map.of("iqn.d", "eui.0123456789ABCDEF"))
                .targetName("d"));
    }

    @Test
    void explicitIqnsAreValidatedAndUnique() {
        for (String bad : new String[] {"vm1", "iqn.2001-04", "iqn.2001-13.com.example:x", "iqn.2001-04.com.example:a b",
                "iqn.2001-04.-bad.com", "eui.0123", "iqn.2001-04.com.example:" + "x".repeat(200)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> IscsiFrontEndFactory.parse(Map.of("iqn.vm1", bad)), bad);
            assertTrue(e.getMessage().contains("iqn.vm1") && e.getMessage().contains("not an iSCSI name"), e.getMessage());
        }
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> IscsiFrontEndFactory.parse(
                Map.of("iqn.a", "iqn.2001-04.com.example:x", "iqn.b", "IQN.2001-04.com.example:x")));
        assertTrue(twice.getMessage().contains("both have the IQN"), twice.getMessage());
    }

    @Test
    void unknownOptionNamesTheKeyAndTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IscsiFrontEndFactory.parse(Map.of("chap-usr", "x")));
        assertTrue(e.getMessage().contains("chap-usr"), e.getMessage());
        assertTrue(e.getMessage().contains("iqn-prefix, chap-user, chap-secret, mutual-chap-user, mutual-chap-secret"),
                e.getMessage());
    }

    @Test
    void incompleteChapIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> IscsiFrontEndFactory.parse(Map.of("chap-user", "u")));
        assertThrows(IllegalArgumentException.class, () -> IscsiFrontEndFactory.parse(Map.of("chap-secret", "s")));
        assertThrows(IllegalArgumentException.class, () -> IscsiFrontEndFactory.parse(
                Map.of("mutual-chap-user", "t", "mutual-chap-secret", "s")));
        assertThrows(IllegalArgumentException.class, () -> IscsiFrontEndFactory.parse(Map.of("iqn-prefix", "disk")));
    }

    @Test
    void chapSecretIsNotPrinted() {
        assertFalse(new ChapCredentials("u", "topsecret").toString().contains("topsecret"));
    }
}
