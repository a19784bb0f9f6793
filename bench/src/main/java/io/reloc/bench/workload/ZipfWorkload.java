package io.reloc.bench.workload;

import java.util.SplittableRandom;

/**
 * A synthetic hot spot ({@code zipf}): the disk is cut into 1 MiB regions (a file, a table, a
 * directory's metadata) whose popularity follows a Zipf law (exponent 1.1), the hottest regions
 * scattered over the disk in a seeded order, so that no copy order that ignores access history
 * finds them by luck. Requests are 4 to 16 KiB anywhere inside a region; one in ten is a write.
 */
public final class ZipfWorkload implements Workload {
    static final int REGION_PAGES = 256;
    static final double EXPONENT = 1.1;
    private final SplittableRandom random;
    private final Area disk;
    private final Zipf zipf;
    private final long[] regionAtRank;

    /** @param size the disk's size, at least one page */
    public ZipfWorkload(long size, long seed) {
        this.random = new SplittableRandom(seed);
        this.disk = new Area(0, Workloads.pages(size));
        int regions = (int) Math.min(1 << 16, (disk.pages() + REGION_PAGES - 1) / REGION_PAGES);
        this.zipf = new Zipf(regions, EXPONENT);
        this.regionAtRank = Workloads.shuffled(regions, random.split());
    }

    @Override
    public Request next() {
        long regionPages = Math.max(REGION_PAGES, disk.pages() / regionAtRank.length);
        long region = regionAtRank[zipf.next(random)];
        int pages = disk.fit(1 + random.nextInt(4));
        long offset = disk.offset(region * regionPages + random.nextLong(regionPages), pages);
        int length = pages * PAGE;
        return random.nextInt(10) == 0 ? Request.write(offset, length) : Request.read(offset, length);
    }
}
