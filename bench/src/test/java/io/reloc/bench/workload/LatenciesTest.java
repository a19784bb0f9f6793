package io.reloc.bench.workload;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LatenciesTest {
    @Test
    void percentilesStallsAndDistribution() {
        Latencies l = new Latencies();
        for (int i = 1; i <= 100; i++) {
            l.add(i * 1_000_000L, i > 90);
        }
        assertEquals(100, l.count());
        assertEquals(50, l.percentileMillis(50), 1e-9);
        assertEquals(99, l.percentileMillis(99), 1e-9);
        assertEquals(10, l.stalls());
        assertEquals((91 + 100) * 10 / 2 / 1000.0, l.stallSeconds(), 1e-9);
        assertEquals(0.9, l.localFraction(), 1e-9);
        double[][] cdf = l.cdf(4);
        assertArrayEquals(new double[] {25, 50, 75, 100}, cdf[0], 1e-9);
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1}, cdf[1], 1e-9);
    }

    @Test
    void emptyHasNoPercentilesAndAnEmptyDistribution() {
        Latencies l = new Latencies();
        assertTrue(Double.isNaN(l.percentileMillis(50)));
        assertEquals(1, l.localFraction());
        assertEquals(0, l.cdf(10)[0].length);
    }
}
