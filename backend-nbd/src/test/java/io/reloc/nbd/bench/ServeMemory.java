package io.reloc.nbd.bench;

import io.reloc.api.Export;
import io.reloc.api.FrontEndConfig;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.nbd.NbdFrontEndFactory;

import java.net.InetSocketAddress;

/**
 * Serves an in-memory export for trying the server with real clients and for measuring it:
 * {@code java ... ServeMemory PORT NAME SIZE_MIB [FILE]} serves SIZE_MIB of memory, or FILE when
 * given (created with that size if missing). Not a test; runs until killed.
 */
public final class ServeMemory {
    private ServeMemory() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 10809;
        String name = args.length > 1 ? args[1] : "mem";
        long mib = args.length > 2 ? Long.parseLong(args[2]) : 1024;
        ExportRegistry exports = new ExportRegistry();
        var device = args.length > 3
                ? io.reloc.core.store.FileBlockStore.open(java.nio.file.Path.of(args[3]), java.util.OptionalLong.of(mib << 20), false)
                : new MemoryBlockStore(mib << 20);
        exports.add(new Export(name, "test disk", device));
        var server = new NbdFrontEndFactory().create(FrontEndConfig.of(new InetSocketAddress("127.0.0.1", port)), exports);
        server.start();
        System.out.println("serving nbd://127.0.0.1:" + server.localAddress().getPort() + "/" + name);
        Thread.currentThread().join();
    }
}
