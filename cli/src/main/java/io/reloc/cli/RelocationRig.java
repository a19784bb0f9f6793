package io.reloc.cli;

import io.reloc.api.Export;
import io.reloc.bench.wan.LinkSettings;
import io.reloc.bench.wan.WanLink;
import io.reloc.bench.workload.StallProbe;
import io.reloc.bench.workload.WriteLog;
import io.reloc.core.plugin.PluginException;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyConfig;
import io.reloc.core.relocation.RelocatingDevice;
import io.reloc.core.relocation.RelocationStatus;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A relocation set up in one process on loopback, as the demo and the experiments use it: an
 * image served by a source server; a relocating proxy at the destination, in standby, fetching
 * from the source over an emulated WAN (link C) and served by a destination server; and the links
 * a VM uses, A to the source and B to the destination. Links A and B have no bandwidth cap and a
 * tiny delay: they only count the VM's traffic. {@link #close} stops everything it started.
 */
final class RelocationRig implements Closeable {
    static final String EXPORT = DemoCommand.EXPORT;
    private static final LinkSettings LOCAL = new LinkSettings(Duration.ofNanos(200_000), 0, Duration.ZERO);

    /**
     * What to set up.
     *
     * @param image the source's disk
     * @param cache the destination's copy; removed with its map first, so every rig starts afresh
     * @param wan link C between destination and source
     * @param strategy the background copy strategy, by plugin name
     * @param codec the relocation channel's codec ({@code auto}, {@code none} or a codec name)
     * @param precopy hybrid pre-copy: the proxy copies already in standby
     */
    record Setup(Path image, Path cache, LinkSettings wan, String strategy, String codec, boolean precopy) {
        Setup {
            requireNonNull(image, "image is null");
            requireNonNull(cache, "cache is null");
            requireNonNull(wan, "wan is null");
            requireNonNull(strategy, "strategy is null");
            requireNonNull(codec, "codec is null");
        }
    }

    /** The outcome of checking the destination against the source image plus the VM's writes. */
    record Verification(boolean ok, long checkedBytes, long firstMismatch) {}

    private final List<Closeable> links = new ArrayList<>();
    private ExportServer source;
    private ExportServer destination;
    private WanLink linkA;
    private WanLink linkB;
    private WanLink linkC;
    private Proxy proxy;
    private int blockSize;

    private RelocationRig() {}

    /** Starts everything; on failure stops what had started. */
    static RelocationRig start(Plugins plugins, Setup setup) throws IOException {
        RelocationRig rig = startSource(plugins, setup);
        return closingOnFailure(rig, () -> rig.startRelocation(plugins, setup));
    }

    /**
     * Starts the source, link A and link C only, so that a VM can use the source (and the source
     * record its history) before the relocation begins; on failure stops what had started.
     */
    static RelocationRig startSource(Plugins plugins, Setup setup) throws IOException {
        RelocationRig rig = new RelocationRig();
        return closingOnFailure(rig, () -> rig.openSource(plugins, setup));
    }

    @FunctionalInterface
    private interface Step {
        void run() throws IOException;
    }

    private static RelocationRig closingOnFailure(RelocationRig rig, Step step) throws IOException {
        try {
            step.run();
            return rig;
        } catch (IOException | RuntimeException e) {
            rig.close();
            throw e;
        }
    }

    private void openSource(Plugins plugins, Setup setup) throws IOException {
        // The source records its clients' accesses, as 'reloc serve' does, for strategies that ask for them.
        source = ExportServer.start(plugins, List.of(new ExportSpec(EXPORT, setup.image(), false, "Reloc demo source")),
                List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0"))), true);
        InetSocketAddress sourceAddress = source.bound().get(0).address();
        linkA = link(sourceAddress, LOCAL);
        linkC = link(sourceAddress, setup.wan());
    }

    /**
     * Starts the relocation: the proxy at the destination, in standby (or pre-copying), and the
     * destination server with link B. The caller closes the rig on failure.
     */
    void startRelocation(Plugins plugins, Setup setup) throws IOException {
        Path map = ProxyConfig.defaultMap(setup.cache());
        Files.deleteIfExists(setup.cache());
        Files.deleteIfExists(map);
        String query = setup.codec().equals("auto") ? "" : "?codec=" + setup.codec();
        URI sourceUri = URI.create(ClientUris.of("nbd", linkC.address(), EXPORT) + query);
        ProxyConfig config = new ProxyConfig(sourceUri, setup.cache(), map, ProxyConfig.DEFAULT_BLOCK_SIZE, false,
                ProxyConfig.DEFAULT_HOLD, 0, setup.precopy());
        blockSize = config.blockSize();
        try {
            proxy = Proxy.start(config, plugins, setup.strategy());
        } catch (PluginException e) {
            throw new CliException(e.getMessage(), e);
        }
        destination = ExportServer.serve(plugins, List.of(new Export(EXPORT, "relocating demo disk", proxy.device())),
                List.of(new FrontEndSpec("nbd", ListenAddress.parse("127.0.0.1:0"))), List.of(proxy::stopBackgroundCopy));
        linkB = link(destination.bound().get(0).address(), LOCAL);
    }

    private WanLink link(InetSocketAddress target, LinkSettings settings) throws IOException {
        WanLink link = WanLink.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), target, settings, 1);
        links.add(link);
        return link;
    }

    Proxy proxy() {
        return proxy;
    }

    /** Where the VM reaches the source (through link A). */
    InetSocketAddress sourceForVm() {
        return linkA.address();
    }

    /** Where the VM reaches the destination (through link B). */
    InetSocketAddress destinationForVm() {
        return linkB.address();
    }

    /** The counters now, {@code millis} after the run began; the relocation must have started. */
    DemoSample sample(long millis) {
        RelocationStatus r = proxy.status().relocation();
        return new DemoSample(millis, bytes(linkA), bytes(linkB), bytes(linkC), r.demandFetches() * blockSize, r.fractionPresent(),
                r.demandFetches());
    }

    /**
     * Tells the workload driver whether a read at the destination stalls: the proxy's demand-fetch
     * counter, and whether part of a range is absent at the destination (so a read of it must wait
     * for the source). The relocation must have started.
     */
    StallProbe stallProbe() {
        RelocatingDevice device = proxy.device();
        return new StallProbe() {
            @Override
            public long demandFetches() {
                return device.status().demandFetches();
            }

            @Override
            public boolean absent(long offset, int length) {
                long last = (offset + Math.max(1, length) - 1) / blockSize;
                for (long block = offset / blockSize; block <= last; block++) {
                    if (!device.isPresent(block)) {
                        return true;
                    }
                }
                return false;
            }
        };
    }

    /** Bytes both ways on link C so far. */
    long linkCBytes() {
        return bytes(linkC);
    }

    private static long bytes(WanLink link) {
        return link.bytesUpstream() + link.bytesDownstream();
    }

    /** Reads the destination whole and compares it with the source image plus the VM's writes. */
    Verification verify(Path image, WriteLog writes) throws IOException {
        long size = proxy.device().size();
        int chunk = 1 << 20;
        byte[] expected = new byte[chunk];
        byte[] actual = new byte[chunk];
        try (FileChannel file = FileChannel.open(image, StandardOpenOption.READ)) {
            for (long offset = 0; offset < size; offset += chunk) {
                int length = (int) Math.min(chunk, size - offset);
                readFully(file, offset, ByteBuffer.wrap(expected, 0, length));
                writes.apply(offset, expected, length);
                proxy.device().read(offset, ByteBuffer.wrap(actual, 0, length));
                int mismatch = Arrays.mismatch(expected, 0, length, actual, 0, length);
                if (mismatch >= 0) {
                    return new Verification(false, offset, offset + mismatch);
                }
            }
        }
        return new Verification(true, size, -1);
    }

    private static void readFully(FileChannel file, long offset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (file.read(dst, offset + dst.position()) < 0) {
                throw new IOException("the source image ended early at " + (offset + dst.position()));
            }
        }
    }

    /** Stops the destination (and with it the proxy), the links and the source. */
    @Override
    public void close() {
        if (destination != null) {
            destination.stop();
        } else if (proxy != null) {
            try {
                proxy.close();
            } catch (IOException ignored) {
                // stopping anyway
            }
        }
        for (Closeable c : links) {
            try {
                c.close();
            } catch (IOException ignored) {
                // stopping anyway
            }
        }
        if (source != null) {
            source.stop();
        }
    }
}
