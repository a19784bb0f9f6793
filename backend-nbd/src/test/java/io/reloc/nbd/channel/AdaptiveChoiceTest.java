package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-batch codec choice, from speeds, ratios and link rates given by the test (no clocks involved). */
class AdaptiveChoiceTest {
    private static final double MB = 1e6;
    private static final long SECOND = 1_000_000_000L;
    private static final List<String> NAMES = List.of("zstd", "lz4", "deflate", "bzip2", "xz");
    private static final int ZSTD = 0;
    private static final int LZ4 = 1;
    private static final int DEFLATE = 2;
    private static final int BZIP2 = 3;
    private static final int XZ = 4;
    /** Speeds in MB/s, about what core's codecs do on one core of this kind of machine. */
    private static final double[] SPEED = {300, 500, 40, 8, 3};
    /** Encoded ÷ raw on compressible (text-like) and on random data. */
    private static final double[] COMPRESSIBLE = {0.30, 0.45, 0.25, 0.20, 0.18};
    private static final double[] RANDOM = {1, 1, 1, 1, 1};

    /** A choice that has measured every codec (its first trials) at {@link #SPEED} with these ratios. */
    private static AdaptiveChoice measured(double[] ratios) {
        AdaptiveChoice c = new AdaptiveChoice(NAMES);
        for (int i = 0; i < NAMES.size(); i++) {
            assertEquals(i, c.trial(), "each codec is tried once first");
            c.encoded(i, (long) (SPEED[i] * MB), (long) (SPEED[i] * MB * ratios[i]), SECOND);
            c.next();
        }
        return c;
    }

    /** How often each pick (index, or {@link AdaptiveChoice#RAW}) comes in the next {@code n} batches. */
    private static Map<Integer, Integer> picks(AdaptiveChoice c, int n) {
        return batches(c, n, null);
    }

    /**
     * Runs {@code n} batches (a trial, then a pick each), the trials' codecs counted in
     * {@code trials} when not null; returns how often each codec was picked.
     */
    private static Map<Integer, Integer> batches(AdaptiveChoice c, int n, Map<Integer, Integer> trials) {
        Map<Integer, Integer> picks = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int trial = c.trial();
            if (trials != null && trial != AdaptiveChoice.RAW) {
                trials.merge(trial, 1, Integer::sum);
            }
            picks.merge(c.next(), 1, Integer::sum);
        }
        return picks;
    }

    /** The pick of every one of the next batches (trials do not change what is sent). */
    private static int mostly(AdaptiveChoice c) {
        Map<Integer, Integer> picks = picks(c, 64);
        assertEquals(1, picks.size(), "one pick while nothing changes: " + picks);
        return picks.keySet().iterator().next();
    }

    @Test
    void withoutALinkRateTheClientsPreferredCodecIsUsed() {
        assertEquals(ZSTD, mostly(measured(RANDOM)));
    }

    @Test
    void randomDataOnAFastLinkGoesRaw() {
        AdaptiveChoice c = measured(RANDOM);
        c.reported(125_000_000); // 1 Gbit/s
        assertEquals(AdaptiveChoice.RAW, mostly(c));
        c.reported(1_250_000); // 10 Mbit/s: encoding still removes nothing
        assertEquals(AdaptiveChoice.RAW, mostly(c));
    }

    @Test
    void compressibleDataOnAFastLinkGoesRawWhenNoCodecKeepsUp() {
        // 2 GB/s: zstd's 300 MB/s is slower than sending the raw bytes.
        AdaptiveChoice c = measured(COMPRESSIBLE);
        c.reported(2_000_000_000);
        assertEquals(AdaptiveChoice.RAW, mostly(c));
    }

    @Test
    void compressibleDataGetsStrongerCodecsAsTheLinkSlows() {
        // Data per second is 1 / (1 / speed + ratio / link).
        AdaptiveChoice c = measured(COMPRESSIBLE);
        c.reported(125_000_000); // 1 Gbit/s: lz4 178 MB/s, zstd 174, raw 125
        assertEquals(LZ4, mostly(c));
        c.reported(12_500_000); // 100 Mbit/s: zstd 36.6 MB/s, lz4 26.3, deflate 22.2
        assertEquals(ZSTD, mostly(c));
        c.reported(1_000_000); // 8 Mbit/s: deflate 3.6 MB/s, zstd 3.3, bzip2 3.1
        assertEquals(DEFLATE, mostly(c));
    }

    @Test
    void aVerySlowLinkGetsTheStrongestCodecsWhileTheyKeepUp() {
        AdaptiveChoice c = measured(COMPRESSIBLE);
        c.reported(100_000); // 0.8 Mbit/s: bzip2 0.471 MB/s, xz 0.469, deflate 0.396
        assertEquals(BZIP2, mostly(c));
        c.reported(50_000); // 0.4 Mbit/s: xz 0.254 MB/s, bzip2 0.242
        assertEquals(XZ, mostly(c));
    }

    @Test
    void theClientsRateWinsOverTheSocketWrites() {
        AdaptiveChoice c = measured(COMPRESSIBLE);
        // Writes into a relay's buffer finish at loopback speed.
        c.sent(64 << 20, SECOND / 50);
        assertEquals(AdaptiveChoice.RAW, mostly(c));
        c.reported(12_500_000);
        assertEquals(ZSTD, mostly(c));
        assertEquals(12_500_000, c.linkRate(), 1);
    }

    @Test
    void smallWritesDoNotCountAsLinkSamples() {
        AdaptiveChoice c = measured(COMPRESSIBLE);
        c.sent(AdaptiveChoice.MIN_SAMPLE_BYTES - 1, 1);
        assertTrue(Double.isNaN(c.linkRate()));
    }

    @Test
    void aReportNearWhatThePickedCodecProducesOnlyRaisesTheEstimate() {
        AdaptiveChoice c = measured(COMPRESSIBLE);
        c.reported(50_000);
        assertEquals(XZ, mostly(c));
        // xz produces 3 × 0.18 = 0.54 MB/s: a report above 80% of that may be xz's limit, not the link's.
        c.reported(450_000);
        assertEquals(450_000, c.linkRate(), 1);
        c.reported(440_000);
        assertEquals(450_000, c.linkRate(), 1, "not lowered");
        // Far below what the codec produces: the link itself slowed down.
        c.reported(100_000);
        assertEquals(100_000, c.linkRate(), 1);
    }

    @Test
    void probesFollowTheDataButSpareCodecsTooSlowToWin() {
        AdaptiveChoice c = measured(RANDOM);
        c.reported(125_000_000);
        Map<Integer, Integer> trials = new HashMap<>();
        int n = 16 * 16 * AdaptiveChoice.SLOW_PROBE_EVERY;
        Map<Integer, Integer> picks = batches(c, n, trials);
        assertEquals(Map.of(AdaptiveChoice.RAW, n), picks, "random data on a fast link goes raw, trials or not");
        int probes = trials.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(probes <= n / AdaptiveChoice.PROBE_EVERY, "one batch in PROBE_EVERY at most: " + trials);
        assertTrue(trials.getOrDefault(ZSTD, 0) > 0 && trials.getOrDefault(XZ, 0) > 0, "every codec is tried: " + trials);
        // xz (3 MB/s) cannot beat a 125 MB/s link whatever its ratio; zstd (300 MB/s) could.
        assertTrue(trials.get(XZ) * 4 < trials.get(ZSTD), "slow codecs are tried rarely: " + trials);
    }

    @Test
    void aProbeThatFindsCompressibleDataSwitchesToTheCodec() {
        AdaptiveChoice c = measured(RANDOM);
        c.reported(12_500_000);
        assertEquals(AdaptiveChoice.RAW, mostly(c));
        // The data turns compressible: zstd's next trial measures it.
        for (int i = 0; i < 64 * NAMES.size(); i++) {
            int trial = c.trial();
            if (trial != AdaptiveChoice.RAW) {
                c.encoded(trial, (long) (SPEED[trial] * MB), (long) (SPEED[trial] * MB * COMPRESSIBLE[trial]), SECOND);
            }
            c.next();
        }
        assertTrue(mostly(c) != AdaptiveChoice.RAW, c.toString());
    }

    @Test
    void aCodecWhoseFirstTrialWasLostIsTriedLater() {
        AdaptiveChoice c = new AdaptiveChoice(NAMES);
        for (int i = 0; i < NAMES.size(); i++) {
            assertEquals(i, c.trial());
            if (i != XZ) { // xz's trial never reports, as when the trial thread had no room for it
                c.encoded(i, (long) (SPEED[i] * MB), (long) (SPEED[i] * MB * RANDOM[i]), SECOND);
            }
            c.next();
        }
        c.reported(125_000_000);
        Map<Integer, Integer> trials = new HashMap<>();
        batches(c, AdaptiveChoice.PROBE_EVERY * NAMES.size(), trials);
        assertTrue(trials.getOrDefault(XZ, 0) > 0, "xz is tried again: " + trials);
    }

    @Test
    void aBogusReportIsRefused() {
        AdaptiveChoice c = measured(COMPRESSIBLE);
        assertThrows(IllegalArgumentException.class, () -> c.reported(0));
        assertThrows(IllegalArgumentException.class, () -> c.reported(-5));
        assertTrue(Double.isNaN(c.linkRate()), "refused reports are not taken");
    }

    @Test
    void theEncoderUsesThePickedCodecAndTheDecoderReadsEveryOfferedOne() throws Exception {
        long seed = System.nanoTime();
        System.out.println("theEncoderUsesThePickedCodecAndTheDecoderReadsEveryOfferedOne seed " + seed);
        byte[] text = BatchCodingTest.text(new Random(seed), 8 << 20);
        ChannelCodecs codecs = ChannelCodecs.standard();
        List<TransferCodec> offer = NAMES.stream().map(n -> codecs.find(n).orElseThrow()).toList();
        AdaptiveChoice choice = new AdaptiveChoice(NAMES);
        choice.reported(500_000);
        BatchEncoder encoder = new BatchEncoder(codecs.candidates(NAMES), choice);
        List<ByteBuffer> chunks = new ArrayList<>();
        encoder.encode(ByteBuffer.wrap(text), 0, 1, chunks::add);
        ChannelStats stats = new ChannelStats();
        assertArrayEquals(text, BatchCodingTest.decode(new BatchCodingTest.Wire(chunks), offer, 0, text.length, stats));
        // On a link this slow every batch of text goes encoded, whichever codec it was.
        assertEquals(text.length / BatchEncoder.MAX_BATCH, stats.snapshot().encodedBatches(), stats.snapshot() + ", " + choice);
    }

    @Test
    void aTrialEncodesASampleNotTheBatch() throws Exception {
        List<Integer> inputs = new java.util.concurrent.CopyOnWriteArrayList<>();
        TransferCodec identity = ChannelCodecs.standard().find("lz4").orElseThrow();
        TransferCodec counting = lz4Named("counting", src -> inputs.add(src.remaining()));
        // The preferred codec encodes the first batch (nothing measured yet); the other is only tried.
        AdaptiveChoice choice = new AdaptiveChoice(List.of("lz4", "counting"));
        choice.reported(2_000_000_000L); // faster than any codec: every batch goes raw once lz4 is measured
        BatchEncoder encoder = new BatchEncoder(List.of(new BatchEncoder.Candidate(identity, 1),
                new BatchEncoder.Candidate(counting, 2)), choice);
        long seed = System.nanoTime();
        System.out.println("aTrialEncodesASampleNotTheBatch seed " + seed);
        byte[] random = new byte[4 * BatchEncoder.MAX_BATCH];
        new Random(seed).nextBytes(random);
        List<ByteBuffer> chunks = new ArrayList<>();
        for (int i = 0; i < AdaptiveChoice.PROBE_EVERY * AdaptiveChoice.SLOW_PROBE_EVERY; i++) {
            encoder.encode(ByteBuffer.wrap(random), 0, i, chunks::add);
        }
        // Trials run beside the replies: give them time to end.
        for (int i = 0; i < 500 && inputs.size() < 2; i++) {
            Thread.sleep(10);
        }
        assertTrue(inputs.size() >= 2, "the codec was tried, first and in probes: " + inputs);
        assertTrue(inputs.stream().allMatch(n -> n == BatchEncoder.TRIAL_BYTES), "trials encode samples only: " + inputs);
    }

    /** A demand read's reply must not wait for a slow codec's trial. */
    @Test
    void aReplyDoesNotWaitForATrial() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        TransferCodec identity = ChannelCodecs.standard().find("lz4").orElseThrow();
        TransferCodec stuck = lz4Named("stuck", src -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        // Both measured already (first trials run inline); "stuck" is fast enough to be probed at
        // every probe turn, and raw wins on this link, so only its probes run it.
        AdaptiveChoice choice = new AdaptiveChoice(List.of("lz4", "stuck"));
        for (int i = 0; i < 2; i++) {
            assertEquals(i, choice.trial());
            choice.encoded(i, 10_000_000_000L, 10_000_000_000L, SECOND);
        }
        choice.reported(2_000_000_000L);
        BatchEncoder encoder = new BatchEncoder(List.of(new BatchEncoder.Candidate(identity, 1),
                new BatchEncoder.Candidate(stuck, 2)), choice);
        byte[] data = new byte[64 << 10];
        new Random(1).nextBytes(data);
        int batches = 4 * AdaptiveChoice.PROBE_EVERY;
        List<ByteBuffer> chunks = new ArrayList<>();
        Thread reply = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < batches; i++) {
                    encoder.encode(ByteBuffer.wrap(data), 0, i, chunks::add);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS), "the codec was tried");
            reply.join(java.time.Duration.ofSeconds(10));
            assertTrue(!reply.isAlive(), "the reply waited for the trial");
            assertEquals(batches, chunks.size());
        } finally {
            release.countDown();
        }
    }

    /** lz4 under another name, which first shows {@code onEncode} each buffer it encodes. */
    static TransferCodec lz4Named(String name, java.util.function.Consumer<ByteBuffer> onEncode) {
        TransferCodec lz4 = ChannelCodecs.standard().find("lz4").orElseThrow();
        return new TransferCodec() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public ByteBuffer encode(ByteBuffer src) {
                onEncode.accept(src);
                return lz4.encode(src);
            }

            @Override
            public ByteBuffer decode(ByteBuffer src, int decodedLength) {
                return lz4.decode(src, decodedLength);
            }
        };
    }
}
