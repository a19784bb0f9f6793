package io.reloc.bench.workload;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/** The built-in workloads by name, and what they share. */
public final class Workloads {
    /** The names {@link #create} knows, in the order help texts list them. */
    public static final List<String> NAMES = List.of("zipf", "sequential", "kernel", "database", "vm");

    private Workloads() {}

    /**
     * A new workload of that name for a disk of {@code size} bytes.
     *
     * @throws IllegalArgumentException naming the workloads there are
     */
    public static Workload create(String name, long size, long seed) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "zipf" -> new ZipfWorkload(size, seed);
            case "sequential" -> new SequentialWorkload(size, seed);
            case "kernel" -> new KernelBuildWorkload(size, seed);
            case "database" -> new DatabaseWorkload(size, seed);
            case "vm" -> new VmMixWorkload(size, seed);
            default -> throw new IllegalArgumentException("unknown workload '" + name + "'; choose one of "
                    + String.join(", ", NAMES) + ", or replay a trace");
        };
    }

    /** Whole pages in a disk of {@code size} bytes. */
    static long pages(long size) {
        if (size < Workload.PAGE) {
            throw new IllegalArgumentException("the disk must hold at least one page of " + Workload.PAGE + " bytes: " + size);
        }
        return size / Workload.PAGE;
    }

    /** 0 to n-1 in a random order (Fisher-Yates). */
    static long[] shuffled(int n, SplittableRandom random) {
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
