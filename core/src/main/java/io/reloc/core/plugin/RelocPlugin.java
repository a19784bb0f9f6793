package io.reloc.core.plugin;

import com.google.inject.AbstractModule;
import com.google.inject.binder.LinkedBindingBuilder;
import com.google.inject.multibindings.MapBinder;
import io.reloc.api.BlockStoreFactory;
import io.reloc.api.CopyStrategy;
import io.reloc.api.FrontEndFactory;
import io.reloc.api.SourceConnector;
import io.reloc.api.TransferCodec;

/**
 * The entry point of a plugin jar: a Guice module, listed in
 * {@code META-INF/services/io.reloc.core.plugin.RelocPlugin}, that contributes named
 * implementations. A plugin only binds: no threads, files or sockets in {@code configure()}.
 *
 * <pre>{@code
 * public final class NbdPlugin extends RelocPlugin {
 *     protected void configure() {
 *         frontEnd("nbd").to(NbdFrontEndFactory.class);
 *     }
 * }
 * }</pre>
 */
public abstract class RelocPlugin extends AbstractModule {

    /** Contributes a front end (block protocol server) under {@code name}. */
    protected final LinkedBindingBuilder<FrontEndFactory> frontEnd(String name) {
        return MapBinder.newMapBinder(binder(), String.class, FrontEndFactory.class).addBinding(name);
    }

    /** Contributes a local store kind under {@code name}. */
    protected final LinkedBindingBuilder<BlockStoreFactory> store(String name) {
        return MapBinder.newMapBinder(binder(), String.class, BlockStoreFactory.class).addBinding(name);
    }

    /** Contributes a transfer codec under {@code name}. */
    protected final LinkedBindingBuilder<TransferCodec> codec(String name) {
        return MapBinder.newMapBinder(binder(), String.class, TransferCodec.class).addBinding(name);
    }

    /** Contributes a background-copy strategy under {@code name}. */
    protected final LinkedBindingBuilder<CopyStrategy> strategy(String name) {
        return MapBinder.newMapBinder(binder(), String.class, CopyStrategy.class).addBinding(name);
    }

    /** Contributes a source connector for URIs of {@code scheme}. */
    protected final LinkedBindingBuilder<SourceConnector> sourceConnector(String scheme) {
        return MapBinder.newMapBinder(binder(), String.class, SourceConnector.class).addBinding(scheme);
    }
}
