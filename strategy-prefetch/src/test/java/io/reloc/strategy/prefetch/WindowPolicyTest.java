package io.reloc.strategy.prefetch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WindowPolicyTest {
    private final WindowPolicy policy = new WindowPolicy(2, 128);

    @Test
    void theFirstWindowIsTheRequestRoundedUpAndScaledLikeLinux() {
        assertEquals(4, policy.initial(1), "small: x4");
        assertEquals(16, policy.initial(3), "3 rounds up to 4, still small: x4");
        assertEquals(16, policy.initial(8), "medium (<= max/4): x2");
        assertEquals(128, policy.initial(64), "large: the maximum");
        assertEquals(128, policy.initial(1000), "never beyond the maximum");
    }

    @Test
    void windowsGrowFourfoldWhileSmallThenDoubleUpToTheMaximum() {
        assertEquals(8, policy.next(2), "below max/16: x4");
        assertEquals(16, policy.next(8), "from max/16: x2");
        assertEquals(128, policy.next(64));
        assertEquals(128, policy.next(128), "capped");
    }

    @Test
    void aMissHalvesTheWindowAndBelowTheMinimumDropsTheStream() {
        assertEquals(64, policy.shrink(128));
        assertEquals(2, policy.shrink(4));
        assertEquals(0, policy.shrink(2), "below the minimum: no more read-ahead");
    }

    @Test
    void boundsFollowTheBlockSize() {
        WindowPolicy w = WindowPolicy.forBlockSize(64 << 10);
        assertEquals(2, w.minBlocks(), "128 KiB");
        assertEquals(128, w.maxBlocks(), "8 MiB");
        assertEquals(1, WindowPolicy.forBlockSize(1 << 20).minBlocks(), "at least one block");
        assertThrows(IllegalArgumentException.class, () -> new WindowPolicy(4, 2));
    }
}
