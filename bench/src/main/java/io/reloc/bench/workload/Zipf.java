package io.reloc.bench.workload;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Draws ranks 0 to n-1 with probability proportional to {@code 1 / (rank + 1)^exponent}, from a
 * table of the cumulative distribution (binary search per draw). Not thread safe.
 */
final class Zipf {
    private final double[] cumulative;

    Zipf(int n, double exponent) {
        if (n <= 0 || exponent < 0) {
            throw new IllegalArgumentException("need n > 0 and exponent >= 0: " + n + ", " + exponent);
        }
        cumulative = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += 1 / Math.pow(k + 1, exponent);
            cumulative[k] = sum;
        }
        for (int k = 0; k < n; k++) {
            cumulative[k] /= sum;
        }
    }

    int next(SplittableRandom random) {
        int i = Arrays.binarySearch(cumulative, random.nextDouble());
        return Math.min(i >= 0 ? i : -i - 1, cumulative.length - 1);
    }
}
