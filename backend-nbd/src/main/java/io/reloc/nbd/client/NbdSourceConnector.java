package io.reloc.nbd.client;

import io.reloc.api.BlockDevice;
import io.reloc.api.HotRegion;
import io.reloc.api.SourceConnector;
import io.reloc.nbd.protocol.RelocHeat;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Opens {@code nbd://HOST[:PORT]/EXPORT} sources (default port 10809) as read-only
 * {@link NbdSourceDevice}s. Works with any fixed-newstyle NBD server (reloc, nbdkit, qemu-nbd).
 * Accepts {@code nbd+unix:///EXPORT?socket=PATH} too, though it is bound under {@code "nbd"}
 * only; {@link NbdUnixSourceConnector} serves that scheme. Stateless and thread safe.
 */
public class NbdSourceConnector implements SourceConnector {
    /** A heat map is advice: a server that does not answer soon is not waited for. */
    private static final Duration HEAT_TIMEOUT = Duration.ofSeconds(10);

    public NbdSourceConnector() {}

    @Override
    public String scheme() {
        return "nbd";
    }

    @Override
    public final BlockDevice open(URI uri) throws IOException {
        NbdUri address = parse(uri);
        try {
            return NbdSourceDevice.open(address);
        } catch (IOException e) {
            throw new IOException("cannot open NBD source " + uri + ": " + e.getMessage(), e);
        }
    }

    /**
     * Asks a Reloc server for the export's hot regions on a short connection of its own (greeting,
     * RELOC_HEAT, ABORT). Any other server answers that it does not know the request: empty.
     */
    @Override
    public final List<HotRegion> hotRegions(URI uri, int limit) throws IOException {
        NbdUri address = parse(uri);
        NbdTransport transport = NbdTransport.connect(address);
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(HEAT_TIMEOUT);
                transport.close();
            } catch (InterruptedException | IOException e) {
                // answered in time
            }
        });
        try {
            return ClientHandshake.hotRegions(transport, address.exportName(), Math.min(limit, RelocHeat.MAX_REGIONS));
        } catch (IOException e) {
            throw new IOException("cannot get the heat map of NBD source " + uri + ": " + e.getMessage(), e);
        } finally {
            watchdog.interrupt();
            transport.close();
        }
    }

    private static NbdUri parse(URI uri) throws IOException {
        try {
            return NbdUri.parse(uri);
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
