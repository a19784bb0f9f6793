package io.reloc.cli;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockStoreFactory;
import io.reloc.api.ExportCatalog;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.api.StoreSpec;
import io.reloc.api.ZeroFlag;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.plugin.RelocPlugin;
import io.reloc.core.store.MemoryBlockStore;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A "file" store backed by memory and an "nbd" front end that binds nothing, both recording what
 * happens to them in {@link #events}, for testing the command's lifecycle without real plugins.
 */
final class FakePlugins {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    volatile boolean portBusy;
    /** The options the last NBD front end was created with. */
    volatile java.util.Map<String, String> nbdOptions;
    volatile boolean failFlush;

    Plugins plugins() {
        return Plugins.of(List.of(new RelocPlugin() {
            @Override
            protected void configure() {
                store("file").toInstance(new Store());
                frontEnd("nbd").toInstance(new Front());
            }
        }));
    }

    private final class Store implements BlockStoreFactory {
        @Override
        public String name() {
            return "file";
        }

        @Override
        public BlockDevice open(StoreSpec spec) throws IOException {
            Path path = spec.path().orElseThrow();
            events.add("open " + path.getFileName());
            return new Device(path.getFileName().toString(), Files.size(path), spec.readOnly());
        }
    }

    private final class Device implements BlockDevice {
        private final String name;
        private final MemoryBlockStore memory;

        Device(String name, long size, boolean readOnly) {
            this.name = name;
            this.memory = new MemoryBlockStore(size, readOnly);
        }

        @Override
        public long size() {
            return memory.size();
        }

        @Override
        public boolean isReadOnly() {
            return memory.isReadOnly();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            memory.read(offset, dst);
        }

        @Override
        public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
            memory.write(offset, src, fua);
        }

        @Override
        public void flush() throws IOException {
            events.add("flush " + name);
            if (failFlush) {
                throw new IOException("disk full");
            }
        }

        @Override
        public void trim(long offset, long length, boolean fua) throws IOException {
            memory.trim(offset, length, fua);
        }

        @Override
        public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
            memory.writeZeroes(offset, length, flags);
        }

        @Override
        public void close() {
            events.add("close " + name);
        }
    }

    private final class Front implements FrontEndFactory {
        @Override
        public String name() {
            return "nbd";
        }

        @Override
        public FrontEnd create(FrontEndConfig config, ExportCatalog exports) {
            nbdOptions = config.options();
            return new FrontEnd() {
                @Override
                public void start() throws IOException {
                    if (portBusy) {
                        throw new IOException("cannot bind " + config.listen(), new BindException("Address already in use"));
                    }
                    events.add("start nbd " + exports.list().size() + " exports");
                }

                @Override
                public InetSocketAddress localAddress() {
                    return new InetSocketAddress(config.listen().getAddress(), config.listen().getPort() == 0 ? 4242 : config.listen().getPort());
                }

                @Override
                public void close() {
                    events.add("close nbd");
                }
            };
        }
    }
}
