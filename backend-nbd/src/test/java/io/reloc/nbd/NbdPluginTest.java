package io.reloc.nbd;

import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.server.NbdServerConfig;
import io.reloc.nbd.testing.NbdTestClient;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NbdPluginTest {

    @Test
    void pluginLoadsThroughServiceLoaderAndServes() throws Exception {
        Plugins plugins = Plugins.load();
        assertTrue(plugins.pluginNames().contains(NbdPlugin.class.getName()), plugins.pluginNames().toString());
        FrontEndFactory factory = plugins.frontEnds().get("nbd");
        assertInstanceOf(NbdFrontEndFactory.class, factory);
        assertEquals("nbd", factory.name());

        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export("disk", "", new MemoryBlockStore(1 << 20)));
        try (FrontEnd server = factory.create(new FrontEndConfig(new InetSocketAddress("127.0.0.1", 0),
                Map.of("max-connections", "8", "handshake-timeout", "2.5")), exports)) {
            server.start();
            try (NbdTestClient c = NbdTestClient.open(server.localAddress(), "disk", true)) {
                assertEquals(0, c.write(0, new byte[] {1, 2, 3}, 0));
                assertArrayEquals(new byte[] {1, 2, 3}, c.read(0, 3));
            }
        }
    }

    @Test
    void optionsParse() {
        NbdServerConfig c = NbdFrontEndFactory.parse(Map.of("max-connections", "8", "handshake-timeout", "0.5"));
        assertEquals(8, c.maxConnections());
        assertEquals(Duration.ofMillis(500), c.handshakeTimeout());
        NbdServerConfig d = NbdFrontEndFactory.parse(Map.of());
        assertEquals(1024, d.maxConnections());
        assertEquals(Duration.ofSeconds(30), d.handshakeTimeout());
    }

    @Test
    void unknownOptionNamesTheKeyAndTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NbdFrontEndFactory.parse(Map.of("max-conections", "8")));
        assertTrue(e.getMessage().contains("max-conections"), e.getMessage());
        assertTrue(e.getMessage().contains("max-connections") && e.getMessage().contains("handshake-timeout"), e.getMessage());
    }

    @Test
    void badValuesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> NbdFrontEndFactory.parse(Map.of("max-connections", "many")));
        assertThrows(IllegalArgumentException.class, () -> NbdFrontEndFactory.parse(Map.of("max-connections", "0")));
        assertThrows(IllegalArgumentException.class, () -> NbdFrontEndFactory.parse(Map.of("handshake-timeout", "-1")));
        assertThrows(IllegalArgumentException.class, () -> NbdFrontEndFactory.parse(Map.of("handshake-timeout", "soon")));
    }

    @Test
    void startingOnABusyPortNamesTheAddress() throws Exception {
        ExportRegistry exports = new ExportRegistry();
        try (FrontEnd first = new NbdFrontEndFactory().create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)), exports)) {
            first.start();
            try (FrontEnd second = new NbdFrontEndFactory().create(FrontEndConfig.of(first.localAddress()), exports)) {
                java.io.IOException e = assertThrows(java.io.IOException.class, second::start);
                assertTrue(e.getMessage().contains(String.valueOf(first.localAddress().getPort())), e.getMessage());
            }
        }
    }
}
