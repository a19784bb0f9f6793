package io.reloc.nbd.channel;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Each codec's speed (bytes per second) and ratio (encoded ÷ raw) as measured on the batches a
 * server sent, moving averages shared by the server's connections: they share its CPU, and a
 * client's connections read the same disk, so each codec's first measurement (a slow codec spends
 * a lot of CPU on it) is paid once per server rather than once per connection. Thread safe.
 */
public final class CodecEstimates {
    private static final double WEIGHT = 0.2;

    /** {speed, ratio, samples} per codec. */
    private final Map<String, double[]> byName = new HashMap<>();
    private final Set<String> claimed = new HashSet<>();

    /** True once per codec: the caller then encodes a batch with it to measure it. */
    public synchronized boolean claimFirst(String codec) {
        return claimed.add(codec);
    }

    /** Whether {@link #claimFirst} has answered true for {@code codec}. */
    public synchronized boolean claimed(String codec) {
        return claimed.contains(codec);
    }

    /** {@code codec} encoded {@code raw} bytes into {@code encoded} bytes in {@code nanos}. */
    public synchronized void encoded(String codec, long raw, long encoded, long nanos) {
        if (raw <= 0) {
            return;
        }
        double speed = raw * 1e9 / Math.max(1, nanos);
        double ratio = Math.min(1.0, (double) encoded / raw);
        double[] e = byName.get(codec);
        if (e == null) {
            byName.put(codec, new double[] {speed, ratio, 1});
        } else if (e[2] == 1) {
            e[0] = speed;
            e[1] = ratio;
            e[2] = 2;
        } else {
            e[0] += WEIGHT * (speed - e[0]);
            e[1] += WEIGHT * (ratio - e[1]);
        }
    }

    /** Bytes per second; NaN until measured. */
    public synchronized double speed(String codec) {
        double[] e = byName.get(codec);
        return e == null ? Double.NaN : e[0];
    }

    /** Encoded ÷ raw; NaN until measured. */
    public synchronized double ratio(String codec) {
        double[] e = byName.get(codec);
        return e == null ? Double.NaN : e[1];
    }
}
