package io.reloc.nbd.channel;

/**
 * Decides per batch whether encoding pays on this connection: it does when the codec removes
 * bytes faster than the link carries them, {@code speed × (1 − ratio) > link rate}, with the
 * codec's speed and ratio measured on the batches actually sent and the link rate measured on the
 * replies' writes (moving averages). Until both are known it encodes; every
 * {@value #PROBE_EVERY}th batch is encoded anyway so that the ratio follows the data. Thread safe.
 */
public final class AdaptiveChoice {
    static final int PROBE_EVERY = 16;
    /** Writes shorter than this say more about the socket buffer than about the link. */
    static final long MIN_SAMPLE_BYTES = 64 * 1024;
    private static final double WEIGHT = 0.2;

    private double codecBytesPerNano = Double.NaN;
    private double ratio = Double.NaN;
    private double linkBytesPerNano = Double.NaN;
    private long batches;

    /** Whether to encode the next batch. */
    public synchronized boolean encodeNext() {
        batches++;
        if (batches % PROBE_EVERY == 0 || Double.isNaN(codecBytesPerNano) || Double.isNaN(linkBytesPerNano)) {
            return true;
        }
        return codecBytesPerNano * (1 - ratio) > linkBytesPerNano;
    }

    /** An encoding of {@code raw} bytes into {@code encoded} bytes took {@code nanos}. */
    public synchronized void encoded(long raw, long encoded, long nanos) {
        if (raw <= 0) {
            return;
        }
        codecBytesPerNano = average(codecBytesPerNano, (double) raw / Math.max(1, nanos));
        ratio = average(ratio, Math.min(1.0, (double) encoded / raw));
    }

    /** Writing {@code bytes} to the client took {@code nanos}. */
    public synchronized void sent(long bytes, long nanos) {
        if (bytes >= MIN_SAMPLE_BYTES) {
            linkBytesPerNano = average(linkBytesPerNano, (double) bytes / Math.max(1, nanos));
        }
    }

    private static double average(double old, double sample) {
        return Double.isNaN(old) ? sample : old + WEIGHT * (sample - old);
    }

    @Override
    public synchronized String toString() {
        return String.format("codec %.0f MB/s at ratio %.2f, link %.0f MB/s", codecBytesPerNano * 1e3, ratio,
                linkBytesPerNano * 1e3);
    }
}
