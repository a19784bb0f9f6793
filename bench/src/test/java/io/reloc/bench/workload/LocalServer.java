package io.reloc.bench.workload;

import io.reloc.api.Export;
import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** An image file served over NBD on a loopback port chosen by the system, for tests. */
public final class LocalServer implements AutoCloseable {
    private final FrontEnd frontEnd;
    private final ExportRegistry exports;

    private LocalServer(FrontEnd frontEnd, ExportRegistry exports) {
        this.frontEnd = frontEnd;
        this.exports = exports;
    }

    public static LocalServer serve(Path image, String name, boolean readOnly) throws IOException {
        return serve(image, name, readOnly, UnaryOperator.identity());
    }

    /** @param view how the front end sees the exports (e.g. traced) */
    public static LocalServer serve(Path image, String name, boolean readOnly, UnaryOperator<ExportCatalog> view) throws IOException {
        Plugins plugins = Plugins.load();
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export(name, "", plugins.stores().get("file").open(StoreSpec.file(image, readOnly))));
        FrontEnd server = plugins.frontEnds().get("nbd").create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", 0)),
                view.apply(exports));
        server.start();
        return new LocalServer(server, exports);
    }

    public InetSocketAddress address() {
        return frontEnd.localAddress();
    }

    @Override
    public void close() throws IOException {
        frontEnd.close();
        for (Export e : exports.list()) {
            e.device().flush();
            e.device().close();
        }
    }
}
