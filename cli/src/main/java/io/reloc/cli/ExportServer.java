package io.reloc.cli;

import io.reloc.api.BlockDevice;
import io.reloc.api.Export;
import io.reloc.api.FrontEnd;
import io.reloc.api.FrontEndConfig;
import io.reloc.api.FrontEndFactory;
import io.reloc.api.StoreSpec;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.heat.HeatFile;
import io.reloc.core.heat.HeatMap;
import io.reloc.core.heat.HeatRecordingDevice;
import io.reloc.core.plugin.PluginException;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.tracking.TrackedDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * Image files served by one or more front ends. {@link #start} opens every image and starts every
 * front end, or on any failure closes what it had opened and throws; {@link #stop} closes the
 * front ends first (they finish requests in flight), then flushes and closes every device.
 *
 * <p>Thread safety: {@link #stop} may be called from a shutdown hook while another thread waits;
 * it runs once.
 */
public final class ExportServer {
    private static final Logger log = LoggerFactory.getLogger(ExportServer.class);

    /** A started front end and the address it is bound to (with the real port). */
    public record Bound(String protocol, InetSocketAddress address, Map<String, String> options) {
        public Bound {
            requireNonNull(protocol, "protocol is null");
            requireNonNull(address, "address is null");
            options = Map.copyOf(requireNonNull(options, "options is null"));
        }

        public Bound(String protocol, InetSocketAddress address) {
            this(protocol, address, Map.of());
        }

        /** The URI a client uses for an export through this front end. */
        public String uri(String exportName) {
            return ClientUris.of(this, exportName);
        }
    }

    private final List<Export> exports;
    private final List<FrontEnd> frontEnds;
    private final List<Bound> bound;
    private final List<AutoCloseable> services;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private ExportServer(List<Export> exports, List<FrontEnd> frontEnds, List<Bound> bound, List<AutoCloseable> services) {
        this.exports = List.copyOf(exports);
        this.frontEnds = List.copyOf(frontEnds);
        this.bound = List.copyOf(bound);
        this.services = List.copyOf(services);
    }

    /**
     * Opens the images with the {@code "file"} store and starts the front ends.
     *
     * @throws CliException naming the export or address that failed
     */
    public static ExportServer start(Plugins plugins, List<ExportSpec> specs, List<FrontEndSpec> frontEndSpecs) {
        return start(plugins, specs, frontEndSpecs, false);
    }

    /**
     * As {@link #start(Plugins, List, List)}; with {@code recordHeat}, every export also records
     * where its clients read and write in {@code IMAGE.heat} (target mode), which a relocation
     * with the {@code hotspot} strategy asks for.
     */
    public static ExportServer start(Plugins plugins, List<ExportSpec> specs, List<FrontEndSpec> frontEndSpecs,
                                     boolean recordHeat) {
        requireNonNull(plugins, "plugins is null");
        requireNonNull(specs, "specs is null");
        requireNonNull(frontEndSpecs, "frontEndSpecs is null");
        // Resolve every address first: a typo in a host name should not cost opening the images.
        frontEndSpecs.forEach(fe -> fe.listen().toSocketAddress());
        List<Export> exports = new ArrayList<>();
        try {
            for (ExportSpec spec : specs) {
                ImageFiles.check(spec);
                // Writes are recorded for proxies that pre-copy the export (hybrid pre-copy).
                BlockDevice device = new TrackedDevice(open(plugins, spec));
                if (recordHeat) {
                    device = HeatRecordingDevice.open(device, HeatFile.beside(spec.path()), HeatMap.Config.DEFAULT,
                            InstantSource.system(), HeatRecordingDevice.DEFAULT_SAVE_EVERY);
                }
                Export export = new Export(spec.name(), spec.description(), device);
                exports.add(export);
                log.debug("opened {} for export '{}' ({}, {})", spec.path(), spec.name(),
                        ByteSize.format(export.device().size()), spec.readOnly() ? "read-only" : "read-write");
            }
        } catch (RuntimeException e) {
            closeQuietly(List.of(), List.of(), exports);
            throw e;
        }
        return serve(plugins, exports, frontEndSpecs, List.of());
    }

    /**
     * Serves devices already open. {@code services} (a background copier, a control plane) are
     * closed after the front ends and before the devices, so nothing touches a closed device.
     * On failure everything given is closed.
     *
     * @throws CliException naming the address that failed
     */
    public static ExportServer serve(Plugins plugins, List<Export> exports, List<FrontEndSpec> frontEndSpecs,
                                     List<AutoCloseable> services) {
        List<FrontEnd> started = new ArrayList<>();
        try {
            List<InetSocketAddress> addresses = frontEndSpecs.stream().map(fe -> fe.listen().toSocketAddress()).toList();
            ExportRegistry registry = new ExportRegistry();
            exports.forEach(registry::add);
            List<Bound> bound = new ArrayList<>();
            for (int i = 0; i < frontEndSpecs.size(); i++) {
                FrontEndSpec fe = frontEndSpecs.get(i);
                FrontEnd frontEnd = create(plugins, fe, addresses.get(i), registry);
                startListening(frontEnd, fe);
                started.add(frontEnd);
                bound.add(new Bound(fe.protocol(), frontEnd.localAddress(), fe.options()));
                log.info("{} listening on {}", fe.protocol(), ClientUris.hostPort(frontEnd.localAddress()));
            }
            return new ExportServer(exports, started, bound, services);
        } catch (RuntimeException e) {
            closeQuietly(started, services, exports);
            throw e;
        }
    }

    private static BlockDevice open(Plugins plugins, ExportSpec spec) {
        try {
            return plugins.stores().get("file").open(StoreSpec.file(spec.path(), spec.readOnly()));
        } catch (PluginException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException("cannot open image file " + spec.path() + " (export '" + spec.name() + "'): " + e.getMessage(), e);
        }
    }

    private static FrontEnd create(Plugins plugins, FrontEndSpec fe, InetSocketAddress address, ExportRegistry registry) {
        try {
            FrontEndFactory factory = plugins.frontEnds().get(fe.protocol());
            return factory.create(new FrontEndConfig(address, fe.options()), registry);
        } catch (PluginException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new UsageException(fe.protocol() + ": " + e.getMessage());
        }
    }

    private static void startListening(FrontEnd frontEnd, FrontEndSpec fe) {
        try {
            frontEnd.start();
        } catch (IOException e) {
            try {
                frontEnd.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (isAddressInUse(e)) {
                throw new CliException("address " + fe.listen() + " is already in use: stop the other server or choose another --listen", e);
            }
            throw new CliException("cannot listen on " + fe.listen() + " for " + fe.protocol() + ": " + e.getMessage(), e);
        }
    }

    static boolean isAddressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    public List<Export> exports() {
        return exports;
    }

    /** The started front ends in the order they were given. */
    public List<Bound> bound() {
        return bound;
    }

    /**
     * Closes the front ends, then flushes and closes every device, then logs "stopped". Runs once;
     * later calls return {@code true} at once.
     *
     * @return whether every device was flushed and closed without error
     */
    public boolean stop() {
        if (!stopped.compareAndSet(false, true)) {
            return true;
        }
        log.info("stopping: finishing requests in flight");
        boolean clean = closeQuietly(frontEnds, services, exports);
        if (clean) {
            log.info("stopped");
        } else {
            log.error("stopped, but some data may not have been flushed (see the errors above)");
        }
        return clean;
    }

    /** Closes front ends, then services, then flushes and closes devices; logs each failure and goes on. */
    private static boolean closeQuietly(List<FrontEnd> frontEnds, List<AutoCloseable> services, List<Export> exports) {
        for (FrontEnd frontEnd : frontEnds) {
            try {
                frontEnd.close();
            } catch (IOException | RuntimeException e) {
                log.warn("closing a front end failed: {}", e.toString());
            }
        }
        for (AutoCloseable service : services) {
            try {
                service.close();
            } catch (Exception e) {
                log.warn("stopping {} failed: {}", service, e.toString());
            }
        }
        boolean clean = true;
        for (Export export : exports) {
            BlockDevice device = export.device();
            try {
                if (!device.isReadOnly()) {
                    device.flush();
                }
            } catch (IOException | RuntimeException e) {
                clean = false;
                log.error("flushing export '{}' failed: {}", export.name(), e.toString());
            }
            try {
                device.close();
            } catch (IOException | RuntimeException e) {
                clean = false;
                log.error("closing export '{}' failed: {}", export.name(), e.toString());
            }
        }
        return clean;
    }
}
