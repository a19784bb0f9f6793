package io.reloc.bench.workload;

import java.util.SplittableRandom;

/**
 * A database-like mix ({@code database}): 8 KiB pages of a table area (from 20 % to 95 % of the
 * disk) read and written at random with a skew (Zipf, exponent 0.8, over pages scattered in the
 * table), and a write-ahead log (from 5 % to 20 %) appended 8 to 32 KiB at a time, with a flush
 * at each commit. Of the requests: 60 % page reads, 20 % page writes, 15 % log appends, 5 %
 * commits (flush).
 */
public final class DatabaseWorkload implements Workload {
    private static final int DB_PAGE = 2;
    private final SplittableRandom random;
    private final Area table;
    private final Area log;
    private final Zipf pages;
    private final long[] pageAtRank;
    private long logNext;

    /** @param size the disk's size, at least one page */
    public DatabaseWorkload(long size, long seed) {
        this.random = new SplittableRandom(seed);
        long diskPages = Workloads.pages(size);
        this.table = Area.of(diskPages, 0.20, 0.95);
        this.log = Area.of(diskPages, 0.05, 0.20);
        int items = (int) Math.min(1 << 16, Math.max(1, table.pages() / DB_PAGE));
        this.pages = new Zipf(items, 0.8);
        this.pageAtRank = Workloads.shuffled(items, random.split());
    }

    @Override
    public Request next() {
        int roll = random.nextInt(100);
        if (roll < 80) {
            long itemPages = Math.max(DB_PAGE, table.pages() / pageAtRank.length);
            // Within an item (a group of pages when the table has more than the Zipf table holds), any page.
            long page = pageAtRank[pages.next(random)] * itemPages + random.nextLong(itemPages) / DB_PAGE * DB_PAGE;
            int length = table.fit(DB_PAGE);
            long offset = table.offset(page, length);
            return roll < 60 ? Request.read(offset, length * PAGE) : Request.write(offset, length * PAGE);
        }
        if (roll < 95) {
            int length = log.fit(2 + 2 * random.nextInt(4));
            if (logNext + length > log.pages()) {
                logNext = 0;
            }
            Request r = Request.write(log.offset(logNext, length), length * PAGE);
            logNext += length;
            return r;
        }
        return Request.flush();
    }
}
