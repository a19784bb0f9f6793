package io.reloc.nbd.channel;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-batch decision, from measurements given by the test (no clocks involved). */
class AdaptiveChoiceTest {
    private static final long MB = 1_000_000;
    private static final long SECOND = 1_000_000_000L;

    /** A choice that has seen a codec at {@code codecMBps} with {@code ratio} and a link at {@code linkMBps}. */
    private static AdaptiveChoice measured(long codecMBps, double ratio, long linkMBps) {
        AdaptiveChoice c = new AdaptiveChoice();
        c.encoded(codecMBps * MB, (long) (codecMBps * MB * ratio), SECOND);
        c.sent(linkMBps * MB, SECOND);
        return c;
    }

    /** How many of the next {@code n} batches the choice encodes. */
    private static int encodedOf(AdaptiveChoice c, int n) {
        int encoded = 0;
        for (int i = 0; i < n; i++) {
            encoded += c.encodeNext() ? 1 : 0;
        }
        return encoded;
    }

    @Test
    void encodesUntilItHasMeasuredBothSides() {
        AdaptiveChoice c = new AdaptiveChoice();
        assertEquals(32, encodedOf(c, 32));
        c.encoded(MB, MB, 1000);
        assertEquals(32, encodedOf(c, 32), "the link is not known yet");
    }

    @Test
    void compressibleDataOnASlowLinkIsEncoded() {
        // 300 MB/s zstd removing 80% beats a 12.5 MB/s (100 Mbit/s) link by far.
        assertEquals(64, encodedOf(measured(300, 0.2, 12), 64));
    }

    @Test
    void randomDataIsSentAsItIsAndProbedNowAndThen() {
        // Ratio 1: encoding removes nothing whatever the link.
        assertEquals(64 / AdaptiveChoice.PROBE_EVERY, encodedOf(measured(300, 1.0, 12), 64));
    }

    @Test
    void aSlowCodecOnAFastLinkIsSkipped() {
        // bzip2-like: 10 MB/s at ratio 0.15 removes 8.5 MB/s; a 1 GB/s link carries the raw bytes faster.
        assertEquals(64 / AdaptiveChoice.PROBE_EVERY, encodedOf(measured(10, 0.15, 1000), 64));
        // The same codec on a 1 MB/s link pays.
        assertEquals(64, encodedOf(measured(10, 0.15, 1), 64));
    }

    @Test
    void smallWritesDoNotCountAsLinkSamples() {
        AdaptiveChoice c = new AdaptiveChoice();
        c.encoded(10 * MB, MB, SECOND);
        c.sent(AdaptiveChoice.MIN_SAMPLE_BYTES - 1, 1);
        assertEquals(32, encodedOf(c, 32), "no link sample yet");
    }

    @Test
    void theEncoderSendsRawBatchesWhenTheChoiceSaysSo() throws Exception {
        long seed = System.nanoTime();
        System.out.println("theEncoderSendsRawBatchesWhenTheChoiceSaysSo seed " + seed);
        byte[] text = BatchCodingTest.text(new Random(seed), 4 << 20);
        AdaptiveChoice fastLink = measured(10, 0.9, 10_000);
        BatchEncoder encoder = new BatchEncoder(ChannelCodecs.standard().find("zstd").orElseThrow(), 1, fastLink);
        List<ByteBuffer> chunks = new ArrayList<>();
        encoder.encode(ByteBuffer.wrap(text), 0, 1, chunks::add);
        ChannelStats stats = new ChannelStats();
        BatchCodingTest.Wire wire = new BatchCodingTest.Wire(chunks);
        org.junit.jupiter.api.Assertions.assertArrayEquals(text,
                BatchCodingTest.decode(wire, List.of(ChannelCodecs.standard().find("zstd").orElseThrow()), 0, text.length, stats));
        assertTrue(stats.snapshot().rawBatches() >= 3, stats.snapshot().toString());
        assertFalse(stats.snapshot().rawBatches() == 0);
    }
}
