package io.reloc.iscsi.testing;

import io.reloc.api.BlockDevice;
import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves a file over iSCSI until killed, for manual runs of iscsi-test-cu and benchmarks:
 * {@code ServeFile PORT PATH NAME [option=value...]}; {@code -Dreadonly=true} serves it read-only.
 */
public final class ServeFile {
    private ServeFile() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path path = Path.of(args[1]);
        Map<String, String> options = new HashMap<>();
        for (int i = 3; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            options.put(kv[0], kv[1]);
        }
        Plugins plugins = Plugins.load();
        BlockDevice device = plugins.stores().get("file")
                .open(io.reloc.api.StoreSpec.file(path, Boolean.getBoolean("readonly")));
        ExportRegistry exports = new ExportRegistry();
        exports.add(new Export(args[2], "", device));
        FrontEnd target = plugins.frontEnds().get("iscsi").create(
                new FrontEndConfig(new InetSocketAddress("127.0.0.1", port), options), exports);
        target.start();
        System.out.println("listening on " + target.localAddress());
        Thread.currentThread().join();
    }
}
