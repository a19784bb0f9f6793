package io.reloc.core.plugin;

import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.Stage;
import com.google.inject.TypeLiteral;
import com.google.inject.spi.Message;
import com.google.inject.util.Types;
import io.reloc.api.BlockStoreFactory;
import io.reloc.api.CopyStrategy;
import io.reloc.api.FrontEndFactory;
import io.reloc.api.SourceConnector;
import io.reloc.api.TransferCodec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The implementations contributed by every {@link RelocPlugin} found with {@link ServiceLoader}.
 * Loading fails fast: two plugins contributing one name is an error that names both.
 */
public final class Plugins {
    private final List<String> pluginNames;
    private final Named<FrontEndFactory> frontEnds;
    private final Named<BlockStoreFactory> stores;
    private final Named<TransferCodec> codecs;
    private final Named<SourceConnector> sourceConnectors;
    private final Named<CopyStrategy> strategies;

    /** What each contributed interface is called in messages. */
    private static final Map<Class<?>, String> KINDS = Map.of(
            FrontEndFactory.class, "front end",
            BlockStoreFactory.class, "store",
            TransferCodec.class, "codec",
            SourceConnector.class, "source scheme",
            CopyStrategy.class, "copy strategy");

    private Plugins(List<String> pluginNames, Injector injector) {
        this.pluginNames = List.copyOf(pluginNames);
        this.frontEnds = named(injector, FrontEndFactory.class);
        this.stores = named(injector, BlockStoreFactory.class);
        this.codecs = named(injector, TransferCodec.class);
        this.sourceConnectors = named(injector, SourceConnector.class);
        this.strategies = named(injector, CopyStrategy.class);
    }

    /** Loads every plugin on the class path of this class's loader. */
    public static Plugins load() {
        List<RelocPlugin> found = new ArrayList<>();
        ServiceLoader.load(RelocPlugin.class, Plugins.class.getClassLoader()).forEach(found::add);
        return of(found);
    }

    /** Wires the given plugins only (tests, embedding). */
    public static Plugins of(List<? extends RelocPlugin> plugins) {
        List<Module> modules = new ArrayList<>(plugins);
        // The maps must exist even when no plugin contributes to a kind.
        modules.add(new RelocPlugin() {
            @Override
            protected void configure() {
                com.google.inject.multibindings.MapBinder.newMapBinder(binder(), String.class, FrontEndFactory.class);
                com.google.inject.multibindings.MapBinder.newMapBinder(binder(), String.class, BlockStoreFactory.class);
                com.google.inject.multibindings.MapBinder.newMapBinder(binder(), String.class, TransferCodec.class);
                com.google.inject.multibindings.MapBinder.newMapBinder(binder(), String.class, SourceConnector.class);
                com.google.inject.multibindings.MapBinder.newMapBinder(binder(), String.class, CopyStrategy.class);
            }
        });
        List<String> names = plugins.stream().map(p -> p.getClass().getName()).toList();
        try {
            return new Plugins(names, Guice.createInjector(Stage.PRODUCTION, modules));
        } catch (CreationException e) {
            // Guice's "Duplicate key found in Map" names neither plugin; find them.
            List<String> duplicates = DuplicateNames.find(plugins, KINDS);
            if (!duplicates.isEmpty()) {
                throw new PluginException("cannot load plugins: " + String.join("; ", duplicates), e);
            }
            String why = e.getErrorMessages().stream().map(Message::getMessage).collect(Collectors.joining("; "));
            throw new PluginException("cannot load plugins " + names + ": " + why, e);
        }
    }

    public Named<FrontEndFactory> frontEnds() {
        return frontEnds;
    }

    public Named<BlockStoreFactory> stores() {
        return stores;
    }

    public Named<TransferCodec> codecs() {
        return codecs;
    }

    public Named<SourceConnector> sourceConnectors() {
        return sourceConnectors;
    }

    public Named<CopyStrategy> strategies() {
        return strategies;
    }

    /** Class names of the loaded plugins, in discovery order. */
    public List<String> pluginNames() {
        return pluginNames;
    }

    @SuppressWarnings("unchecked")
    private static <T> Named<T> named(Injector injector, Class<T> type) {
        Key<Map<String, T>> key = (Key<Map<String, T>>) Key.get(TypeLiteral.get(Types.mapOf(String.class, type)));
        return new Named<>(KINDS.get(type), injector.getInstance(key));
    }
}
