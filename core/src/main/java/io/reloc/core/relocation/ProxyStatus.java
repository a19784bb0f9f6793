package io.reloc.core.relocation;

/**
 * What the control plane reports about a proxy.
 *
 * @param relocation the engine's view
 * @param source where the source is (URI), or "" once detached
 * @param sourceConnected whether a source connection is open now
 * @param paused whether background copy is paused
 * @param rateBytesPerSecond the background copy limit; 0 for none
 */
public record ProxyStatus(RelocationStatus relocation, String source, boolean sourceConnected, boolean paused,
                          long rateBytesPerSecond) {

    /** One JSON object, stable field names, for scripts and orchestrators. */
    public String toJson() {
        RelocationStatus r = relocation;
        return "{\"state\":\"" + r.state().name().toLowerCase(java.util.Locale.ROOT) + "\""
                + ",\"activatedBy\":\"" + r.trigger().name().toLowerCase(java.util.Locale.ROOT) + "\""
                + ",\"blocks\":" + r.blockCount()
                + ",\"presentBlocks\":" + r.presentBlocks()
                + ",\"fractionPresent\":" + String.format(java.util.Locale.ROOT, "%.6f", r.fractionPresent())
                + ",\"demandFetches\":" + r.demandFetches()
                + ",\"backgroundFetches\":" + r.backgroundFetches()
                + ",\"zeroBlocks\":" + r.zeroBlocks()
                + ",\"source\":\"" + source.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
                + ",\"sourceConnected\":" + sourceConnected
                + ",\"paused\":" + paused
                + ",\"rateBytesPerSecond\":" + rateBytesPerSecond
                + "}";
    }
}
