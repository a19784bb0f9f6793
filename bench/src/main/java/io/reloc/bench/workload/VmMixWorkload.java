package io.reloc.bench.workload;

import java.util.SplittableRandom;

/**
 * The demo's VM-like I/O mix ({@code vm}), the same for the same seed and disk size: most requests go to a hot
 * region (4 KiB to 16 KiB, skewed towards its start as a Zipf-like law would be, a third of them
 * writes), some are sequential runs of 64 KiB (a file read or a log appended), and some are small
 * reads anywhere on the disk (cold data). Every request is 4 KiB aligned and inside the disk.
 *
 * <p>Not thread safe.
 */
public final class VmMixWorkload implements Workload {
    private static final int RUN_REQUEST = 64 * 1024;

    private final SplittableRandom random;
    private final long size;
    private final long hotStart;
    private final long hotPages;
    private long runNext;
    private int runLeft;
    private boolean runWrites;

    /** @param size the disk's size, at least 1 MiB */
    public VmMixWorkload(long size, long seed) {
        if (size < (1 << 20)) {
            throw new IllegalArgumentException("the disk must have at least 1 MiB: " + size);
        }
        this.random = new SplittableRandom(seed);
        this.size = size / PAGE * PAGE;  // requests stay whole pages, even on a disk of odd sectors
        long hotBytes = Math.min(size / 2, Math.max(size / 25, 4L << 20));
        this.hotPages = hotBytes / PAGE;
        long slots = (this.size - hotPages * PAGE) / (1 << 20);
        this.hotStart = slots <= 0 ? 0 : (long) random.nextInt((int) Math.min(slots, Integer.MAX_VALUE)) << 20;
    }

    @Override
    public Request next() {
        if (runLeft > 0) {
            return runStep();
        }
        int roll = random.nextInt(100);
        if (roll < 12) {
            runLeft = 8 + random.nextInt(40);
            runWrites = random.nextInt(4) == 0;
            runNext = pageAt(random.nextLong(size / PAGE));
            return runStep();
        }
        if (roll < 27) {
            int length = PAGE * (1 + random.nextInt(4));
            return Request.read(clamp(pageAt(random.nextLong(size / PAGE)), length), length);
        }
        long page = (long) (hotPages * Math.pow(random.nextDouble(), 3));
        int length = PAGE * (1 + random.nextInt(4));
        long offset = clamp(hotStart + page * PAGE, length);
        return random.nextInt(3) == 0 ? Request.write(offset, length) : Request.read(offset, length);
    }

    private Request runStep() {
        runLeft--;
        int length = (int) Math.min(RUN_REQUEST, size - runNext);
        if (length <= 0) {
            runLeft = 0;
            runNext = 0;
            length = RUN_REQUEST;
        }
        Request op = runWrites ? Request.write(runNext, length) : Request.read(runNext, length);
        runNext += length;
        return op;
    }

    private static long pageAt(long page) {
        return page * PAGE;
    }

    /** Moves a request that would run past the end of the disk back inside it. */
    private long clamp(long offset, int length) {
        return Math.min(offset, size - length);
    }
}
