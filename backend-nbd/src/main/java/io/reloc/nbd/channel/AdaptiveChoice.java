package io.reloc.nbd.channel;

import java.util.Locale;

/**
 * Picks per batch the codec, among those both ends have, that moves the data fastest: with a link
 * carrying {@code L} bytes per second, a codec encoding {@code speed} bytes per second at
 * {@code ratio} (encoded ÷ raw) delivers {@code 1 / (1 / speed + ratio / L)} bytes of data per
 * second, raw bytes {@code L}. So random data on a fast link goes raw and compressible data on a
 * slow link gets the strongest codec that keeps up. The encoding time is added to the sending time
 * rather than overlapped with it ({@code min(speed, L / ratio)}): a fetch's reply leaves only once
 * encoded, the background copy keeps few fetches in flight and its pacer reads the added latency
 * as queueing, and on a busy server the connections' encoders share few cores; measured over a
 * WAN emulator the overlapping model chose deflate over zstd at 100 Mbit/s and took 13 s where
 * zstd took 8 (docs/benchmarks.md). Speeds and ratios are moving averages measured on the
 * data actually sent ({@link CodecEstimates}, shared by a server's connections): each codec is
 * {@link #trial tried} once before it is considered, and every {@value #PROBE_EVERY}th batch
 * tries another one, in turn, so that the estimates follow the data; a codec too slow to win even
 * at ratio 0 is tried only every {@value #SLOW_PROBE_EVERY}th turn. A trial encodes a sample of
 * the batch beside the reply and throws the result away (the batch goes with the codec
 * {@link #next} picks, from what was measured before): a
 * whole megabyte through xz costs a few hundred milliseconds of CPU, which on a fast link
 * cost more time than all the codecs could save (a 1 GiB relocation on loopback took 3.2–4.0 s
 * instead of 1.9–2.3 s without the channel's codecs).
 *
 * <p>The link rate is the one the client reports ({@link #reported}, measured where the bytes
 * arrive), else an estimate from how long the server's socket writes take ({@link #sent}), which
 * behind a relay or any buffer before the bottleneck sees loopback speed. While the link rate or
 * every codec's speed is unknown the client's preferred codec (the first) is used. A report may
 * be the codec's limit rather than the link's: while a codec is picked and the report is close
 * to what that codec can produce ({@code speed × ratio}), the report only raises the estimate.
 * Thread safe.
 */
public final class AdaptiveChoice {
    /** {@link #next} answer for raw bytes. */
    public static final int RAW = -1;
    static final int PROBE_EVERY = 16;
    static final int SLOW_PROBE_EVERY = 8;
    /** Writes shorter than this say more about the socket buffer than about the link. */
    static final long MIN_SAMPLE_BYTES = 64 * 1024;
    /** A report above this share of the picked codec's output may be the codec's limit. */
    static final double CODEC_BOUND = 0.8;
    private static final double WEIGHT = 0.2;

    private final String[] names;
    private final CodecEstimates estimates;
    /** Probe turns a slow codec sat out. */
    private final int[] skipped;
    private double writeRate = Double.NaN;
    private double reportedRate = Double.NaN;
    private long batches;
    private int probeTurn;
    private int current = 0;

    /** @param names the codecs to choose among, in the client's order of preference */
    public AdaptiveChoice(java.util.List<String> names) {
        this(names, new CodecEstimates());
    }

    /** @param estimates the codecs' measurements, shared with the server's other connections */
    public AdaptiveChoice(java.util.List<String> names, CodecEstimates estimates) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no codec to choose among");
        }
        this.names = names.toArray(String[]::new);
        this.estimates = java.util.Objects.requireNonNull(estimates, "estimates is null");
        skipped = new int[names.size()];
    }

    private double speed(int index) {
        return estimates.speed(names[index]);
    }

    private double ratio(int index) {
        return estimates.ratio(names[index]);
    }

    /**
     * The codec to measure on a sample of the next batch, or {@link #RAW} for none: each codec
     * once at first, then one every {@value #PROBE_EVERY}th batch. Called once per batch, before
     * {@link #next}; the measurement goes to {@link #encoded}.
     */
    public synchronized int trial() {
        batches++;
        for (int i = 0; i < names.length; i++) {
            if (estimates.claimFirst(names[i])) {
                return i;
            }
        }
        if (batches % PROBE_EVERY != 0) {
            return RAW;
        }
        current = best();
        int probe = probe();
        return probe == current ? RAW : probe;
    }

    /**
     * True once per codec (for the server's connections together): the caller then measures it
     * before any batch needs it; {@link #trial} no longer proposes it for a first trial.
     */
    public boolean claimFirst(int index) {
        return estimates.claimFirst(names[index]);
    }

    /** Whether every codec has been claimed for its first measurement. */
    public boolean allClaimed() {
        return java.util.Arrays.stream(names).allMatch(estimates::claimed);
    }

    /** Nanoseconds the codec at {@code index} is expected to take on {@code bytes}; 0 when not measured. */
    public long encodeNanos(int index, long bytes) {
        double speed = speed(index);
        return Double.isNaN(speed) || speed <= 0 ? 0 : (long) (bytes * 1e9 / speed);
    }

    /** Whether the codec at {@code index} has been measured at all (by any of the server's connections). */
    public boolean measured(int index) {
        return !Double.isNaN(speed(index));
    }

    /** The index of the codec for the next batch, or {@link #RAW}. */
    public synchronized int next() {
        current = best();
        return current;
    }

    /**
     * The codec at {@code index} encoded {@code raw} bytes (a batch or a trial's sample) into
     * {@code encoded} bytes in {@code nanos}.
     */
    public void encoded(int index, long raw, long encoded, long nanos) {
        estimates.encoded(names[index], raw, encoded, nanos);
    }

    /** Writing {@code bytes} to the client took {@code nanos}. */
    public synchronized void sent(long bytes, long nanos) {
        if (bytes >= MIN_SAMPLE_BYTES) {
            writeRate = average(writeRate, bytes * 1e9 / Math.max(1, nanos));
        }
    }

    /**
     * The client measured the link at {@code bytesPerSecond}.
     *
     * @throws IllegalArgumentException when the rate is not above 0 (the server refuses such a
     *     RELOC_RATE before it gets here)
     */
    public synchronized void reported(long bytesPerSecond) {
        if (!(bytesPerSecond > 0)) {
            throw new IllegalArgumentException("link rate must be above 0: " + bytesPerSecond);
        }
        double r = bytesPerSecond;
        if (current != RAW && !Double.isNaN(reportedRate) && !Double.isNaN(speed(current))
                && r >= CODEC_BOUND * speed(current) * ratio(current)) {
            reportedRate = Math.max(reportedRate, r);
        } else {
            reportedRate = r;
        }
    }

    /** Bytes per second the link is taken to carry; NaN when unknown. */
    synchronized double linkRate() {
        return Double.isNaN(reportedRate) ? writeRate : reportedRate;
    }

    /** Bytes of data per second the codec at {@code index} (or {@link #RAW}) would deliver. */
    private double throughput(int index, double link) {
        return index == RAW ? link : 1 / (1 / speed(index) + ratio(index) / link);
    }

    private int best() {
        double link = linkRate();
        if (Double.isNaN(link) || java.util.stream.IntStream.range(0, names.length).allMatch(i -> Double.isNaN(speed(i)))) {
            // Nothing to compare yet (trials run beside the replies): the client's preferred codec,
            // which this batch then measures.
            return 0;
        }
        int best = RAW;
        double most = link;
        for (int i = 0; i < names.length; i++) {
            if (!Double.isNaN(speed(i)) && throughput(i, link) > most) {
                most = throughput(i, link);
                best = i;
            }
        }
        return best;
    }

    /** The next codec in turn worth probing, or the current pick when none is this turn. */
    private int probe() {
        double link = linkRate();
        double most = Double.isNaN(link) ? 0 : throughput(current, link);
        for (int k = 0; k < names.length; k++) {
            int i = probeTurn;
            probeTurn = (probeTurn + 1) % names.length;
            if (i == current) {
                continue;
            }
            // A codec not measured yet (its first trial was dropped, the trial thread being busy)
            // is tried at its turn.
            if (!Double.isNaN(speed(i)) && speed(i) <= most && ++skipped[i] < SLOW_PROBE_EVERY) {
                continue;
            }
            skipped[i] = 0;
            return i;
        }
        return current;
    }

    private static double average(double old, double sample) {
        return Double.isNaN(old) ? sample : old + WEIGHT * (sample - old);
    }

    @Override
    public synchronized String toString() {
        StringBuilder s = new StringBuilder();
        double link = linkRate();
        s.append(String.format(Locale.ROOT, "link %.1f MB/s (%s), picks %s", link / 1e6,
                Double.isNaN(reportedRate) ? "socket writes" : "client", current == RAW ? "raw" : names[current]));
        for (int i = 0; i < names.length; i++) {
            s.append(String.format(Locale.ROOT, "; %s %.0f MB/s at %.2f", names[i], speed(i) / 1e6, ratio(i)));
        }
        return s.toString();
    }
}
