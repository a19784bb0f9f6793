package io.reloc.core.plugin;

import io.reloc.api.BlockDevice;
import io.reloc.api.StoreSpec;
import io.reloc.core.CorePlugin;
import io.reloc.core.codec.ZstdCodec;
import io.reloc.core.store.MemoryStoreFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PluginsTest {

    @Test
    void loadFindsTheCorePluginThroughServiceLoader() throws IOException {
        Plugins plugins = Plugins.load();
        assertTrue(plugins.pluginNames().contains(CorePlugin.class.getName()), plugins.pluginNames().toString());
        assertEquals(Set.of("file", "memory"), plugins.stores().names());
        assertEquals(Set.of("bzip2", "deflate", "identity", "lz4", "xz", "zstd"), plugins.codecs().names());
        assertEquals(Set.of("file"), plugins.sourceConnectors().names());
        assertEquals(Set.of(), plugins.frontEnds().names());

        assertEquals("zstd", plugins.codecs().get("zstd").name());
        assertEquals("file", plugins.sourceConnectors().get("file").scheme());
        try (BlockDevice memory = plugins.stores().get("memory").open(StoreSpec.memory(4096))) {
            assertEquals(4096, memory.size());
        }
        for (String name : plugins.codecs().names()) {
            assertEquals(name, plugins.codecs().get(name).name(), "codec bound under the wrong name");
        }
    }

    @Test
    void anUnknownNameListsTheAvailableOnes() {
        Plugins plugins = Plugins.of(List.of(new CorePlugin()));
        PluginException e = assertThrows(PluginException.class, () -> plugins.codecs().get("brotli"));
        assertEquals("unknown codec 'brotli'; available: bzip2, deflate, identity, lz4, xz, zstd", e.getMessage());
        e = assertThrows(PluginException.class, () -> plugins.frontEnds().get("nbd"));
        assertTrue(e.getMessage().startsWith("unknown front end 'nbd'; available: none"), e.getMessage());
    }

    @Test
    void twoPluginsBindingOneNameAreRefusedByName() {
        PluginException e = assertThrows(PluginException.class,
                () -> Plugins.of(List.of(new CorePlugin(), new OtherFileStorePlugin())));
        assertTrue(e.getMessage().contains("two plugins contribute store 'file': " + CorePlugin.class.getName()
                + " and " + OtherFileStorePlugin.class.getName()), e.getMessage());
    }

    @Test
    void onePluginBindingOneNameTwiceIsRefusedByName() {
        PluginException e = assertThrows(PluginException.class, () -> Plugins.of(List.of(new TwiceZstdPlugin())));
        assertTrue(e.getMessage().contains("plugin " + TwiceZstdPlugin.class.getName() + " contributes codec 'zstd' twice"),
                e.getMessage());
    }

    @Test
    void distinctNamesFromSeveralPluginsAreMerged() {
        Plugins plugins = Plugins.of(List.of(new CorePlugin(), new FastZstdPlugin()));
        assertEquals(Set.of("bzip2", "deflate", "identity", "lz4", "xz", "zstd", "zstd-fast"), plugins.codecs().names());
    }

    static final class OtherFileStorePlugin extends RelocPlugin {
        @Override
        protected void configure() {
            store("file").to(MemoryStoreFactory.class);
        }
    }

    static final class TwiceZstdPlugin extends RelocPlugin {
        @Override
        protected void configure() {
            codec("zstd").toInstance(new ZstdCodec(1));
            codec("zstd").toInstance(new ZstdCodec(2));
        }
    }

    static final class FastZstdPlugin extends RelocPlugin {
        @Override
        protected void configure() {
            codec("zstd-fast").toInstance(new ZstdCodec(1));
        }
    }
}
