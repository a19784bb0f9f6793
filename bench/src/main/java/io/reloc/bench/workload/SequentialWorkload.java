package io.reloc.bench.workload;

import java.util.SplittableRandom;

/**
 * A sequential scan ({@code sequential}): 64 KiB reads one after the other, as {@code cp} or a
 * backup would do, from a seeded starting point to the end of the disk and on from its start.
 */
public final class SequentialWorkload implements Workload {
    static final int REQUEST_PAGES = 16;
    private final Area disk;
    private final int pages;
    private long next;

    /** @param size the disk's size, at least one page */
    public SequentialWorkload(long size, long seed) {
        this.disk = new Area(0, Workloads.pages(size));
        this.pages = disk.fit(REQUEST_PAGES);
        this.next = new SplittableRandom(seed).nextLong(disk.pages());
    }

    @Override
    public Request next() {
        if (next + pages > disk.pages()) {
            next = 0;
        }
        Request r = Request.read(disk.offset(next, pages), pages * PAGE);
        next += pages;
        return r;
    }
}
