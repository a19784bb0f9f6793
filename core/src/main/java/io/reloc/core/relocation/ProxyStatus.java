package io.reloc.core.relocation;

import java.util.List;
import java.util.Locale;

/**
 * What the control plane reports about a proxy.
 *
 * @param relocation the engine's view
 * @param source where the source is (URI), or "" once detached
 * @param sourceConnected whether a source connection is open now
 * @param paused whether background copy is paused
 * @param rateBytesPerSecond the background copy limit; 0 for none
 * @param bytesFromSource payload bytes read from the source by this process (demand, background
 *     and, in standby, forwarded reads)
 * @param backgroundBytes of those, the bytes the background copier fetched
 * @param detached whether the proxy gave up its source before completion (a forced detach)
 * @param linkRateBytesPerSecond the rate the background copy measured on the path from the source
 *     (bytes on the link per second, see {@link BackgroundCopier#measuredLinkRate}); 0 before any
 */
public record ProxyStatus(RelocationStatus relocation, String source, boolean sourceConnected, boolean paused,
                          long rateBytesPerSecond, long bytesFromSource, long backgroundBytes, boolean detached,
                          long linkRateBytesPerSecond) {

    /** Every {@link #stateName}. */
    public static final List<String> STATE_NAMES = List.of("standby", "precopy", "relocating", "paused", "detached", "complete");

    /**
     * The state as the control plane names it: {@code standby}, {@code precopy}, {@code relocating},
     * {@code paused}, {@code complete}, or {@code detached} after a forced detach.
     */
    public String stateName() {
        return switch (relocation.state()) {
            case STANDBY -> "standby";
            case PRECOPY -> "precopy";
            case ACTIVE -> detached ? "detached" : paused ? "paused" : "relocating";
            case COMPLETE -> "complete";
        };
    }

    /** One JSON object, stable field names, for scripts and orchestrators. */
    public String toJson() {
        RelocationStatus r = relocation;
        return "{\"state\":\"" + stateName() + "\""
                + ",\"activatedBy\":\"" + r.trigger().name().toLowerCase(Locale.ROOT) + "\""
                + ",\"blocksTotal\":" + r.blockCount()
                + ",\"blocksPresent\":" + r.presentBlocks()
                + ",\"fractionPresent\":" + String.format(Locale.ROOT, "%.6f", r.fractionPresent())
                + ",\"bytesFromSource\":" + bytesFromSource
                + ",\"backgroundBytes\":" + backgroundBytes
                + ",\"demandFetches\":" + r.demandFetches()
                + ",\"backgroundFetches\":" + r.backgroundFetches()
                + ",\"zeroBlocks\":" + r.zeroBlocks()
                + ",\"source\":\"" + source.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
                + ",\"sourceConnected\":" + sourceConnected
                + ",\"paused\":" + paused
                + ",\"rateBytesPerSecond\":" + rateBytesPerSecond
                + ",\"linkRateBytesPerSecond\":" + linkRateBytesPerSecond
                + "}";
    }
}
