package io.reloc.nbd.channel;

import io.reloc.api.BlockDevice;
import io.reloc.api.TransferCodec;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.RelocChannel.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;

import static java.util.Objects.requireNonNull;

/**
 * Turns the bytes of one RELOC_READ into batch chunks: runs of all-zero blocks become zero markers,
 * other runs are cut into batches of at most {@link #MAX_BATCH} bytes and encoded with the
 * negotiated codec, or sent raw when the codec does not shrink them (random data; after a few such
 * batches in a row the codec is only tried now and then). With an {@link AdaptiveChoice} each batch
 * uses the codec the choice picks among all the codecs both ends have, or none; each batch names
 * its codec, so the client decodes any of them. Thread safe.
 */
public final class BatchEncoder {
    private static final Logger log = LoggerFactory.getLogger(BatchEncoder.class);
    /** Granularity of zero detection. */
    public static final int BLOCK = 4096;
    /** Largest batch: big enough for good ratios, small enough to pipeline. */
    public static final int MAX_BATCH = 1 << 20;
    /** Bytes of a batch an adaptive choice's trial encodes: enough for a codec's ratio to show. */
    static final int TRIAL_BYTES = 128 << 10;
    /** Most batches sent raw untried after the codec failed on several in a row. */
    static final int MAX_UNTRIED = 15;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(BLOCK).asReadOnlyBuffer();

    /** Receives each whole chunk, in order; the last carries DONE. */
    @FunctionalInterface
    public interface Sink {
        void send(ByteBuffer chunk) throws IOException;
    }

    /** A codec both ends have, and its id on this connection (1 + its index in the client's offer). */
    public record Candidate(TransferCodec codec, int id) {
        public Candidate {
            requireNonNull(codec, "codec is null");
            if (id < 1 || id > RelocChannel.MAX_OFFER) {
                throw new IllegalArgumentException("codec id out of range: " + id);
            }
        }
    }

    private final List<Candidate> candidates;
    private final AdaptiveChoice choice;
    /** Batches in a row the codec did not shrink, and batches left to send raw untried. */
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger untried = new AtomicInteger();
    /**
     * Where trials run: one platform thread for the whole server. Not virtual threads, which are
     * not preempted: a trial of xz would hold one of the few carriers for tens of milliseconds,
     * and the connections' own virtual threads (every reply) would wait for it.
     */
    private static final ExecutorService TRIALS = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(16), Thread.ofPlatform().name("reloc-codec-trials").daemon().factory());
    /** CPU the later trials (probes) may take, for the whole server; first measurements are not counted. */
    private static final TrialBudget PROBE_BUDGET = new TrialBudget(System::nanoTime, TrialBudget.SHARE, TrialBudget.BURST_NANOS);
    /** Codecs whose trial runs now. */
    private final Set<Integer> trying = ConcurrentHashMap.newKeySet();

    /** @param codecId the codec's id on this connection (1 + its index in the client's offer) */
    public BatchEncoder(TransferCodec codec, int codecId) {
        this(List.of(new Candidate(codec, codecId)), null);
    }

    /**
     * @param candidates the codecs both ends have, the client's preferred first; without a choice
     *     only the first is used
     * @param choice picks per batch among {@code candidates} or raw (the connection feeds it the
     *     link rate), or null to always try the first codec
     */
    public BatchEncoder(List<Candidate> candidates, AdaptiveChoice choice) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no codec");
        }
        this.candidates = List.copyOf(candidates);
        this.choice = choice;
    }

    /** The client's preferred codec of those this encoder has. */
    public TransferCodec codec() {
        return candidates.getFirst().codec();
    }

    public List<Candidate> candidates() {
        return candidates;
    }

    /** The per-batch choice, or null when the codec is always tried. */
    public AdaptiveChoice choice() {
        return choice;
    }

    /** Encodes {@code data} (position to limit, not consumed) read at {@code offset}. */
    public void encode(ByteBuffer data, long offset, long cookie, Sink sink) throws IOException {
        ByteBuffer d = data.slice();
        List<int[]> runs = runs(d);
        for (int i = 0; i < runs.size(); i++) {
            int[] run = runs.get(i);
            ByteBuffer chunk = ByteBuffer.allocate(RelocChannel.batchSize(run[2] == 1 ? 0 : run[1]));
            encodeRun(d, run, i == runs.size() - 1, offset, cookie, chunk);
            sink.send(chunk.flip());
        }
    }

    /**
     * Encodes {@code data} (position to limit, not consumed) read at {@code offset} into
     * {@code out}, chunk after chunk, the last carrying DONE: one buffer for the whole reply, so
     * raw bytes are copied once. {@code out} needs {@link #maxEncodedSize} bytes free.
     */
    public void encodeInto(ByteBuffer data, long offset, long cookie, ByteBuffer out) {
        ByteBuffer d = data.slice();
        List<int[]> runs = runs(d);
        for (int i = 0; i < runs.size(); i++) {
            encodeRun(d, runs.get(i), i == runs.size() - 1, offset, cookie, out);
        }
    }

    /** The most bytes {@link #encodeInto} writes for {@code length} bytes of data. */
    public static int maxEncodedSize(int length) {
        // Every run carries at most its own bytes (raw when the codec does not shrink them) plus
        // headers, and there are at most as many runs as zero-detection blocks.
        int runs = Math.max(1, (length + BLOCK - 1) / BLOCK);
        return length + runs * RelocChannel.batchSize(0);
    }

    private void encodeRun(ByteBuffer d, int[] run, boolean last, long offset, long cookie, ByteBuffer out) {
        int start = run[0];
        int length = run[1];
        int flags = last ? NbdConstants.REPLY_FLAG_DONE : 0;
        if (run[2] == 1) {
            RelocChannel.encodeBatch(out, flags, cookie, new Batch(offset + start, length, 0, RelocChannel.ZERO),
                    ByteBuffer.allocate(0));
            return;
        }
        ByteBuffer raw = d.slice(start, length);
        CRC32C crc = new CRC32C();
        crc.update(raw.duplicate());
        ByteBuffer encoded = raw;
        if (choice != null) {
            trial(raw);
        }
        int pick = choice != null ? choice.next() : tryCodec() ? 0 : AdaptiveChoice.RAW;
        int id = RelocChannel.RAW;
        if (pick != AdaptiveChoice.RAW) {
            Candidate c = candidates.get(pick);
            id = c.id();
            long started = System.nanoTime();
            encoded = c.codec().encode(raw.duplicate());
            if (choice != null) {
                choice.encoded(pick, length, encoded.remaining(), System.nanoTime() - started);
            } else {
                tried(encoded.remaining() < length);
            }
        }
        if (encoded.remaining() >= length) {
            encoded = raw;
            id = RelocChannel.RAW;
        }
        RelocChannel.encodeBatch(out, flags, cookie, new Batch(offset + start, length, (int) crc.getValue(), id), encoded);
    }

    /**
     * Measures the codecs the server has not measured yet on a {@link ExportSample sample} of the
     * export, on the trials thread, as soon as a client has negotiated the channel: so that the
     * first batches of a relocation, at switch-over when the VM's reads stall most, neither wait
     * for the codecs' first trials (xz's took a tenth of a second in a fresh JVM) nor go with a
     * codec picked blind. Each codec encodes the sample twice and the second, warm run is
     * measured. A codec whose first trial a batch claimed meanwhile is left to it; nothing is
     * claimed for an export of zeros, whose first batches measure the codecs as before.
     */
    public void warmUp(BlockDevice export) {
        if (choice == null || choice.allClaimed()) {
            return;
        }
        try {
            TRIALS.execute(() -> {
                try {
                    ByteBuffer sample = ExportSample.read(export, TRIAL_BYTES);
                    for (int i = 0; i < candidates.size() && sample.hasRemaining(); i++) {
                        if (choice.claimFirst(i)) {
                            measure(i, sample, 2);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    log.debug("no sample of the export for the codecs' first trials: {}", e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("trial thread busy: the first batches measure the codecs");
        }
    }

    /** Runs {@code task} on the trials thread, after what is queued there (tests wait with it). */
    static void runOnTrialThread(Runnable task) {
        TRIALS.execute(task);
    }

    /** Encodes {@code sample} {@code runs} times with the codec at {@code index}, the last run measured. */
    private void measure(int index, ByteBuffer sample, int runs) {
        TransferCodec codec = candidates.get(index).codec();
        try {
            for (int run = 1; run < runs; run++) {
                codec.encode(sample.duplicate());
            }
            long started = System.nanoTime();
            ByteBuffer encoded = codec.encode(sample.duplicate());
            choice.encoded(index, sample.remaining(), encoded.remaining(), System.nanoTime() - started);
        } catch (RuntimeException e) {
            log.warn("codec {} failed on a trial sample: {}", codec.name(), e.toString());
        }
    }

    /**
     * Measures the codec the choice wants tried on the first {@link #TRIAL_BYTES} of {@code raw}.
     * A codec's first trial runs here, once per server: until then the choice cannot weigh it at
     * all. Later ones run on the {@link #TRIALS} thread on a copy and the reply does not wait (a
     * demand read's reply would otherwise wait tens of milliseconds for xz now and then); one per
     * codec at a time, and one that finds the queue full or the {@link TrialBudget} spent is
     * dropped (a later probe tries again).
     */
    private void trial(ByteBuffer raw) {
        int trial = choice.trial();
        if (trial == AdaptiveChoice.RAW || !trying.add(trial)) {
            return;
        }
        boolean first = !choice.measured(trial);
        int sampleBytes = Math.min(TRIAL_BYTES, raw.remaining());
        long expected = first ? 0 : choice.encodeNanos(trial, sampleBytes);
        if (!first && !PROBE_BUDGET.tryStart(expected)) {
            trying.remove(trial); // over budget: dropped, as when the queue is full
            return;
        }
        ByteBuffer sample = ByteBuffer.allocate(sampleBytes);
        sample.put(raw.slice(0, sample.capacity())).flip();
        if (first) {
            try {
                measure(trial, sample, 1);
            } finally {
                trying.remove(trial);
            }
            return;
        }
        try {
            TRIALS.execute(() -> {
                long started = System.nanoTime();
                try {
                    measure(trial, sample, 1);
                } finally {
                    PROBE_BUDGET.finished(expected, System.nanoTime() - started);
                    trying.remove(trial);
                }
            });
        } catch (RejectedExecutionException e) {
            PROBE_BUDGET.finished(expected, 0);
            trying.remove(trial);
        }
    }

    /**
     * Whether to run the codec on the next batch (without an adaptive choice): batches the codec
     * failed to shrink several times in a row (random, encrypted or compressed data, which comes
     * in long stretches) are followed by up to {@value #MAX_UNTRIED} sent raw untried: trying
     * zstd on incompressible data costs the server more CPU than sending it. Racy by design: a
     * heuristic shared by the connection's requests.
     */
    private boolean tryCodec() {
        return untried.getAndUpdate(n -> Math.max(0, n - 1)) == 0;
    }

    private void tried(boolean shrank) {
        if (shrank) {
            failures.set(0);
            untried.set(0);
            return;
        }
        int f = failures.incrementAndGet();
        // 0, 1, 3, 7, then 15 batches untried after 1, 2, 3, 4, 5+ failures in a row.
        untried.set(Math.min(MAX_UNTRIED, (1 << Math.min(f - 1, 4)) - 1));
    }

    /** Whether bytes {@code at..at+n-1} of {@code d} ({@code n} at most {@link #BLOCK}) are all zero. */
    static boolean zeroBlock(ByteBuffer d, int at, int n) {
        return d.slice(at, n).mismatch(ZEROES.slice(0, n)) == -1;
    }

    /** {start, length, zero ? 1 : 0} for each run, in order; at least one for non-empty data. */
    static List<int[]> runs(ByteBuffer d) {
        List<int[]> runs = new ArrayList<>();
        int runStart = 0;
        int runZero = -1;
        for (int at = 0; at < d.limit(); at += BLOCK) {
            int n = Math.min(BLOCK, d.limit() - at);
            int zero = zeroBlock(d, at, n) ? 1 : 0;
            boolean full = zero == 0 && at - runStart >= MAX_BATCH;
            if (runZero != -1 && (zero != runZero || full)) {
                runs.add(new int[] {runStart, at - runStart, runZero});
                runStart = at;
            }
            runZero = zero;
        }
        if (runZero != -1) {
            runs.add(new int[] {runStart, d.limit() - runStart, runZero});
        }
        return runs;
    }
}
