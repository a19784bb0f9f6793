package io.reloc.nbd.channel;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The codecs' shared measurements. */
class CodecEstimatesTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void theColdFirstSampleIsReplacedThenSamplesAreAveraged() {
        CodecEstimates e = new CodecEstimates();
        assertTrue(Double.isNaN(e.speed("xz")));
        e.encoded("xz", 100_000, 100_000, SECOND); // cold: 0.1 MB/s, nothing removed
        assertEquals(100_000, e.speed("xz"), 1);
        e.encoded("xz", 3_000_000, 600_000, SECOND);
        assertEquals(3_000_000, e.speed("xz"), 1, "the second sample replaces the cold one");
        assertEquals(0.2, e.ratio("xz"), 1e-9);
        e.encoded("xz", 2_000_000, 600_000, SECOND);
        assertEquals(2_800_000, e.speed("xz"), 1, "then a moving average");
        assertEquals(0.22, e.ratio("xz"), 1e-9);
    }

    @Test
    void eachCodecIsClaimedForItsFirstBatchOnce() {
        CodecEstimates e = new CodecEstimates();
        assertTrue(e.claimFirst("zstd"));
        assertFalse(e.claimFirst("zstd"));
        assertTrue(e.claimFirst("xz"));
    }
}
