package io.reloc.nbd.interop;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockSizes;
import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.StoreSpec;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.plugin.Plugins;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reloc's NBD front end in this JVM, with {@code file} stores, both found by name through the
 * plugin SPI exactly as the launcher finds them.
 */
final class RelocTarget implements NbdTarget {
    private final List<BlockDevice> devices = new ArrayList<>();
    private FrontEnd frontEnd;

    @Override
    public void start(List<TargetExport> exports) throws IOException {
        Plugins plugins = Plugins.load();
        ExportRegistry registry = new ExportRegistry();
        for (TargetExport export : exports) {
            BlockDevice device = plugins.stores().get("file").open(StoreSpec.file(export.file(), export.readOnly()));
            devices.add(device);
            registry.add(new Export(export.name(), export.description(), device));
        }
        frontEnd = plugins.frontEnds().get("nbd")
                .create(FrontEndConfig.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), registry);
        frontEnd.start();
    }

    @Override
    public int port() {
        return frontEnd.localAddress().getPort();
    }

    @Override
    public Optional<BlockSizes> expectedBlockSizes() {
        // Every export of a test has the same kind of store; the first one stands for all.
        return devices.stream().findFirst().map(BlockDevice::blockSizes);
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        if (frontEnd != null) {
            try {
                frontEnd.close();
            } catch (IOException e) {
                failure = e;
            }
            frontEnd = null;
        }
        for (BlockDevice device : devices) {
            try {
                device.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        devices.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
