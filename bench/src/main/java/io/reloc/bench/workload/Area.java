package io.reloc.bench.workload;

import java.util.SplittableRandom;

/**
 * A range of whole pages of the disk that a workload uses for one purpose (source files, a log, a
 * table). Requests inside an area never cross its end.
 *
 * @param first the first page
 * @param pages how many pages, at least 1
 */
record Area(long first, long pages) {
    Area {
        if (first < 0 || pages < 1) {
            throw new IllegalArgumentException("bad area: " + first + "+" + pages);
        }
    }

    /**
     * The part of a disk of {@code diskPages} pages from fraction {@code from} to {@code to} of it;
     * at least one page, inside the disk.
     */
    static Area of(long diskPages, double from, double to) {
        long first = Math.min(diskPages - 1, (long) (diskPages * from));
        long end = Math.min(diskPages, Math.max(first + 1, (long) (diskPages * to)));
        return new Area(first, end - first);
    }

    /** The byte offset of a run of {@code length} pages that starts at page {@code page} of the area, moved back inside it. */
    long offset(long page, int length) {
        long start = Math.max(0, Math.min(Math.floorMod(page, pages), pages - length));
        return (first + start) * Workload.PAGE;
    }

    /** A uniformly random page of the area. */
    long anyPage(SplittableRandom random) {
        return random.nextLong(pages);
    }

    /** {@code wanted} pages, or fewer if the area is smaller. */
    int fit(int wanted) {
        return (int) Math.min(wanted, pages);
    }
}
