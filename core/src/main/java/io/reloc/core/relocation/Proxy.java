package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.SourceConnector;
import io.reloc.api.StoreSpec;
import io.reloc.core.plugin.Plugins;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * A relocating proxy assembled from its parts: the source (through a {@link ReconnectingSource}),
 * the cache file, the map, the engine and the background copier. What {@code reloc proxy} runs
 * and the control plane drives. Thread safe.
 */
public final class Proxy implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Proxy.class);

    private final Plugins plugins;
    private final ReconnectingSource source;
    private final ReconnectingSource lane;
    private final RelocatingDevice device;
    private final BackgroundCopier copier;

    private Proxy(Plugins plugins, ReconnectingSource source, ReconnectingSource lane, RelocatingDevice device,
                  BackgroundCopier copier) {
        this.lane = lane;
        this.plugins = plugins;
        this.source = source;
        this.device = device;
        this.copier = copier;
    }

    /**
     * Connects to the source, opens or resumes the cache and map, and starts background copy
     * (which waits for activation).
     *
     * @throws IOException with a one-line reason: source unreachable, cache of the wrong size, a
     *     map that belongs to another relocation
     */
    public static Proxy start(ProxyConfig config, Plugins plugins) throws IOException {
        return start(config, plugins, DEFAULT_STRATEGY);
    }

    /** The copy strategy used when none is named: the disk in block order. */
    public static final String DEFAULT_STRATEGY = "linear";

    /**
     * As {@link #start(ProxyConfig, Plugins)}, with the background copy order of the named
     * {@link io.reloc.api.CopyStrategy}.
     *
     * @throws io.reloc.core.plugin.PluginException naming the strategies there are, if none has that name
     */
    public static Proxy start(ProxyConfig config, Plugins plugins, String strategy) throws IOException {
        requireNonNull(config, "config is null");
        var copyStrategy = plugins.strategies().find(strategy);
        if (copyStrategy.isEmpty() && !strategy.equals(DEFAULT_STRATEGY)) {
            plugins.strategies().get(strategy); // fails with the list of strategies there are
        }
        Path cachePath = config.cache();
        MapFile mapFile = new MapFile(config.map());
        boolean mapExists = Files.exists(config.map());
        if (!Files.exists(cachePath) && mapExists) {
            throw new IOException("map " + config.map() + " exists but its cache " + cachePath
                    + " does not; remove the map to start afresh");
        }
        if (mapExists) {
            // A completed relocation needs no source: it must restart even when the source is gone.
            BlockDevice cache = openCache(plugins, cachePath, OptionalLong.empty());
            var completed = closeOnFailure(cache, () -> RelocatingDevice.openCompleted(cache, mapFile, CacheId.read(cachePath).orElse("")));
            if (completed.isPresent()) {
                log.info("relocation of {} is complete; serving the local copy", redacted(config.source()));
                return new Proxy(plugins, null, null, completed.get(), null);
            }
            cache.close();
        }
        // Background copy gets a connection of its own, so that a client's demand fetch never
        // waits behind background transfers queued on the same connection. It is opened alongside
        // the demand connection: over a WAN each costs several round trips.
        BackgroundOpening<ReconnectingSource> laneOpening = separateLane()
                ? BackgroundOpening.start(() -> connect(plugins, config.source(), config), "reloc-lane-open") : null;
        ReconnectingSource source;
        try {
            source = connect(plugins, config.source(), config);
        } catch (IOException | RuntimeException e) {
            discard(laneOpening);
            throw e;
        }
        try {
            if (Files.exists(cachePath) && Files.size(cachePath) != source.size()) {
                throw new IOException("cache " + cachePath + " has " + Files.size(cachePath) + " bytes but the source has "
                        + source.size() + "; use another cache file or remove this one");
            }
            BlockDevice cache = openCache(plugins, cachePath, OptionalLong.of(source.size()));
            String cacheId = mapExists ? CacheId.read(cachePath).orElse("") : CacheId.assign(cachePath);
            RelocatingDevice device = closeOnFailure(cache, () -> RelocatingDevice.open(cache, source, mapFile,
                    config.blockSize(), identity(config.source()), cacheId, config.startMode()));
            ReconnectingSource lane = null;
            if (laneOpening != null && device.state() != RelocationState.COMPLETE) {
                try {
                    lane = laneOpening.get();
                    device.separateBackgroundLane(lane);
                } catch (IOException | RuntimeException e) {
                    if (lane != null) {
                        lane.close();
                    }
                    device.close();
                    throw e;
                }
            }
            discard(laneOpening);
            BackgroundCopier copier;
            try {
                // Without the strategy plugins on the class path, block order is the linear strategy itself.
                io.reloc.api.CopyOrder order = copyStrategy.isPresent()
                        ? copyStrategy.get().create(new io.reloc.api.CopyContext(device.geometry().blockCount(),
                                device.geometry().blockSize(), () -> sourceHeat(plugins, config.source())))
                        : cursor -> cursor;
                device.onAccess(order::onAccess);
                copier = new BackgroundCopier(device, new RateLimiter(config.rateBytesPerSecond()), order);
                copier.start();
            } catch (RuntimeException e) {
                // A strategy that fails to start (a plugin's fault, a heat map that cannot be read)
                // must not leave the cache, the map or the source connections open.
                try {
                    device.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            RelocationStatus status = device.status();
            log.info("relocation of {} ({} blocks of {} bytes): {}, {} of {} blocks present",
                    redacted(config.source()), status.blockCount(), config.blockSize(), status.state().name().toLowerCase(Locale.ROOT),
                    status.presentBlocks(), status.blockCount());
            return new Proxy(plugins, source, lane, device, copier);
        } catch (IOException | RuntimeException e) {
            discard(laneOpening);
            source.close();
            throw e;
        }
    }

    private static void discard(BackgroundOpening<?> opening) {
        if (opening != null) {
            opening.discard();
        }
    }

    /**
     * {@code separate} (default) or {@code shared}: whether background copy has its own
     * connection to the source. {@code shared} exists to measure what the separate lane buys.
     */
    public static final String LANE_PROPERTY = "reloc.background.lane";

    private static boolean separateLane() {
        String lane = System.getProperty(LANE_PROPERTY, "separate");
        return switch (lane) {
            case "separate" -> true;
            case "shared" -> false;
            default -> throw new IllegalArgumentException(LANE_PROPERTY + " must be separate or shared, not '" + lane + "'");
        };
    }

    /** Most hot regions asked of a source: bounds the transfer and the order's memory. */
    static final int HEAT_LIMIT = 4096;

    /** The source's heat map for a strategy that asks; empty, with a warning, when it cannot be had. */
    private static java.util.List<io.reloc.api.HotRegion> sourceHeat(Plugins plugins, URI uri) {
        try {
            var heat = plugins.sourceConnectors().get(uri.getScheme()).hotRegions(uri, HEAT_LIMIT);
            log.info("source {} {}", redacted(uri), heat.isEmpty() ? "has no access heat map; hot regions will be learned from clients"
                    : "sent an access heat map of " + heat.size() + " regions");
            return heat;
        } catch (IOException | RuntimeException e) {
            log.warn("cannot get the access heat map of {} ({}); hot regions will be learned from clients",
                    redacted(uri), e.getMessage());
            return java.util.List.of();
        }
    }

    private static BlockDevice openCache(Plugins plugins, Path path, OptionalLong size) throws IOException {
        return plugins.stores().get("file").open(new StoreSpec(Optional.of(path), size, false));
    }

    @FunctionalInterface
    private interface Opening<T> {
        T open() throws IOException;
    }

    private static <T> T closeOnFailure(BlockDevice cache, Opening<T> opening) throws IOException {
        try {
            return opening.open();
        } catch (IOException | RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /**
     * What ties a map to its source: the scheme and the export's path, not the host, so that a
     * source that moved (same export, new address) still matches.
     */
    static String identity(URI source) {
        return source.getScheme() + ":" + (source.getPath() == null ? source.getSchemeSpecificPart() : source.getPath());
    }

    /**
     * The URI without its user part, which may hold a secret (iSCSI's {@code user%secret@}): what
     * logs, status and messages show.
     */
    public static String redacted(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        String text = uri.toString();
        return text.replace(uri.getRawUserInfo() + "@", "");
    }

    private static ReconnectingSource connect(Plugins plugins, URI uri, ProxyConfig config) throws IOException {
        if (uri.getScheme() == null) {
            throw new IOException("source '" + uri + "' has no scheme; use nbd://HOST:PORT/EXPORT or file:/PATH");
        }
        SourceConnector connector = plugins.sourceConnectors().get(uri.getScheme());
        return new ReconnectingSource(() -> connector.open(uri), redacted(uri), config.hold());
    }

    /** The device to export. */
    public RelocatingDevice device() {
        return device;
    }

    public ProxyStatus status() {
        RelocationStatus relocation = device.status();
        boolean complete = relocation.state() == RelocationState.COMPLETE;
        boolean detached = !complete && source != null && !device.hasSource();
        boolean connected = !complete && !detached && source.isConnected();
        long laneBytes = lane == null ? 0 : lane.bytesRead();
        long fromSource = source == null ? 0 : source.bytesRead() + laneBytes;
        return new ProxyStatus(relocation, complete || detached ? "" : source.description(), connected,
                copier != null && copier.isPaused(), copier == null ? 0 : copier.limiter().rate(),
                fromSource, laneBytes, detached, copier == null ? 0 : copier.measuredLinkRate());
    }

    /** Drops the source connections and opens new ones at once, without waiting for back-off. */
    public void reconnect() throws IOException {
        requireSource("reconnect");
        source.reconnect();
        if (lane != null) {
            lane.reconnect();
        }
    }

    /**
     * Detaches from the source. A complete relocation has already detached, so this only confirms
     * it; before completion it is refused unless {@code force}d, because every absent block then
     * reads as EIO (until the proxy is restarted and reconnects).
     */
    public void detach(boolean force) throws IOException {
        RelocationStatus status = device.status();
        if (status.state() == RelocationState.COMPLETE || (source != null && !device.hasSource())) {
            return;
        }
        if (!force) {
            throw new IOException("the relocation is not complete (" + status.presentBlocks() + " of " + status.blockCount()
                    + " blocks present): absent blocks would become unreadable; wait for 'complete', or force the detach");
        }
        stopBackgroundCopy();
        device.abandonSource();
    }

    private void requireSource(String what) throws IOException {
        if (source == null || !device.hasSource()) {
            throw new IOException("cannot " + what + ": the relocation " + (device.state() == RelocationState.COMPLETE
                    ? "is complete and" : "was detached and") + " no longer uses a source");
        }
    }

    public void activate() throws IOException {
        device.activate(ActivationTrigger.CONTROL);
    }

    public void pause() {
        if (copier != null) {
            copier.pause();
        }
    }

    public void resume() {
        if (copier != null) {
            copier.resume();
        }
    }

    public void setRate(long bytesPerSecond) {
        if (copier != null) {
            copier.limiter().setRate(bytesPerSecond);
        }
    }

    /** Points the relocation at the source's new address; the export must be the same disk. */
    public void redirect(URI newSource) throws IOException {
        requireSource("change the source");
        if (!identity(newSource).equals(identity(URI.create(source.description())))) {
            throw new IOException("'" + redacted(newSource) + "' names another export than '" + source.description() + "'");
        }
        SourceConnector connector = plugins.sourceConnectors().get(newSource.getScheme());
        try (BlockDevice probe = connector.open(newSource)) {
            if (probe.size() != device.size()) {
                throw new IOException("'" + newSource + "' has " + probe.size() + " bytes, the relocated disk " + device.size());
            }
        }
        source.redirect(() -> connector.open(newSource), redacted(newSource));
        if (lane != null) {
            lane.redirect(() -> connector.open(newSource), redacted(newSource));
        }
    }

    /** Stops background copy (the device stays usable); what a server does before closing devices. */
    public void stopBackgroundCopy() {
        try {
            if (copier != null) {
                copier.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops background copy, persists the map and closes cache and source. */
    @Override
    public void close() throws IOException {
        stopBackgroundCopy();
        device.close();
    }
}
