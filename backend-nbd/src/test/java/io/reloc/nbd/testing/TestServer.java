package io.reloc.nbd.testing;

import io.reloc.api.BlockDevice;
import io.reloc.api.Export;
import io.reloc.core.export.ExportRegistry;
import io.reloc.nbd.server.NbdServer;
import io.reloc.nbd.server.NbdServerConfig;

import java.io.IOException;
import java.net.InetSocketAddress;

/** An {@link NbdServer} on a loopback port chosen by the OS, with its export registry. */
public final class TestServer implements AutoCloseable {
    public final ExportRegistry exports = new ExportRegistry();
    public final NbdServer server;

    public TestServer(NbdServerConfig config) {
        server = new NbdServer(new InetSocketAddress("127.0.0.1", 0), exports, config);
    }

    public TestServer() {
        this(NbdServerConfig.defaults());
    }

    public TestServer export(String name, BlockDevice device) {
        exports.add(new Export(name, "test export " + name, device));
        return this;
    }

    public TestServer start() throws IOException {
        server.start();
        return this;
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
