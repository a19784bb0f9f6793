package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import org.junit.jupiter.api.Test;

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

    /** A choice that has measured every codec (its first batches) at {@link #SPEED} with these ratios. */
    private static AdaptiveChoice measured(double[] ratios) {
        AdaptiveChoice c = new AdaptiveChoice(NAMES);
        for (int i = 0; i < NAMES.size(); i++) {
            assertEquals(i, c.next(), "each codec encodes one batch first");
            c.encoded(i, (long) (SPEED[i] * MB), (long) (SPEED[i] * MB * ratios[i]), SECOND);
        }
        return c;
    }

    /** How often each pick (index, or {@link AdaptiveChoice#RAW}) comes in the next {@code n} batches. */
    private static Map<Integer, Integer> picks(AdaptiveChoice c, int n) {
        Map<Integer, Integer> picks = new HashMap<>();
        for (int i = 0; i < n; i++) {
            picks.merge(c.next(), 1, Integer::sum);
        }
        return picks;
    }

    /** The pick of most of the next batches (probes aside). */
    private static int mostly(AdaptiveChoice c) {
        Map<Integer, Integer> picks = picks(c, 64);
        int pick = picks.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        assertTrue(picks.get(pick) >= 64 - 64 / AdaptiveChoice.PROBE_EVERY, "probes only now and then: " + picks);
        return pick;
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
        Map<Integer, Integer> picks = picks(c, 16 * 16 * AdaptiveChoice.SLOW_PROBE_EVERY);
        System.out.println("picks " + picks);
        int probes = picks.entrySet().stream().filter(e -> e.getKey() != AdaptiveChoice.RAW).mapToInt(Map.Entry::getValue).sum();
        assertTrue(probes <= 16 * AdaptiveChoice.SLOW_PROBE_EVERY, "one batch in PROBE_EVERY at most: " + picks);
        assertTrue(picks.getOrDefault(ZSTD, 0) > 0 && picks.getOrDefault(XZ, 0) > 0, "every codec is probed: " + picks);
        // xz (3 MB/s) cannot beat a 125 MB/s link whatever its ratio; zstd (300 MB/s) could.
        assertTrue(picks.get(XZ) * 4 < picks.get(ZSTD), "slow codecs are probed rarely: " + picks);
    }

    @Test
    void aProbeThatFindsCompressibleDataSwitchesToTheCodec() {
        AdaptiveChoice c = measured(RANDOM);
        c.reported(12_500_000);
        assertEquals(AdaptiveChoice.RAW, mostly(c));
        // The data turns compressible: zstd's next probe measures it.
        for (int i = 0; i < 64 * NAMES.size(); i++) {
            int pick = c.next();
            if (pick != AdaptiveChoice.RAW) {
                c.encoded(pick, (long) (SPEED[pick] * MB), (long) (SPEED[pick] * MB * COMPRESSIBLE[pick]), SECOND);
            }
        }
        assertTrue(mostly(c) != AdaptiveChoice.RAW, c.toString());
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
        // Each codec encoded one batch first, then the choice settled on some codec for the slow link.
        assertTrue(stats.snapshot().encodedBatches() >= NAMES.size() + 1, stats.snapshot() + ", " + choice);
    }
}
