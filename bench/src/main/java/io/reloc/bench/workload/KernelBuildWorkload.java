package io.reloc.bench.workload;

import java.util.SplittableRandom;

/**
 * A kernel-build-like mix ({@code kernel}), the seed paper's own experiment: many small reads
 * and writes. The disk holds a toolchain (a fifth of it from 5 %), a source tree (from 30 % to
 * 60 %) and an output directory (from 65 % to 90 %); file system metadata lives in the first 2 %.
 * Of the requests:
 * <ul>
 *   <li>40 % read a source file whole, 4 to 32 KiB; headers are read over and over, so the files'
 *       popularity follows a Zipf law (exponent 0.9) over files scattered in the tree;</li>
 *   <li>15 % read 16 to 64 KiB of a compiler or linker binary (hot, Zipf 1.2);</li>
 *   <li>30 % append 4 to 64 KiB to object files in the output directory, one after another;</li>
 *   <li>12 % write a 4 KiB metadata page (inodes, directories, the journal), mostly recent ones;</li>
 *   <li>3 % flush, as the build's {@code make} and the file system's journal commit.</li>
 * </ul>
 */
public final class KernelBuildWorkload implements Workload {
    private static final int FILE_PAGES = 8;
    private final SplittableRandom random;
    private final Area metadata;
    private final Area toolchain;
    private final Area sources;
    private final Area output;
    private final Zipf files;
    private final long[] fileAtRank;
    private final Zipf tools;
    private final Zipf recentMetadata;
    private long outputNext;
    private long metadataNext;

    /** @param size the disk's size, at least one page */
    public KernelBuildWorkload(long size, long seed) {
        this.random = new SplittableRandom(seed);
        long pages = Workloads.pages(size);
        this.metadata = Area.of(pages, 0, 0.02);
        this.toolchain = Area.of(pages, 0.05, 0.25);
        this.sources = Area.of(pages, 0.30, 0.60);
        this.output = Area.of(pages, 0.65, 0.90);
        int fileCount = (int) Math.min(1 << 16, Math.max(1, sources.pages() / FILE_PAGES));
        this.files = new Zipf(fileCount, 0.9);
        this.fileAtRank = Workloads.shuffled(fileCount, random.split());
        this.tools = new Zipf((int) Math.min(1 << 16, Math.max(1, toolchain.pages() / 16)), 1.2);
        this.recentMetadata = new Zipf((int) Math.min(1 << 16, metadata.pages()), 1.0);
    }

    @Override
    public Request next() {
        int roll = random.nextInt(100);
        if (roll < 40) {
            int pages = sources.fit(1 + random.nextInt(FILE_PAGES));
            long filePages = Math.max(FILE_PAGES, sources.pages() / fileAtRank.length);
            return Request.read(sources.offset(fileAtRank[files.next(random)] * filePages, pages), pages * PAGE);
        }
        if (roll < 55) {
            int pages = toolchain.fit(4 + random.nextInt(13));
            return Request.read(toolchain.offset(tools.next(random) * 16L, pages), pages * PAGE);
        }
        if (roll < 85) {
            int pages = output.fit(1 + random.nextInt(16));
            if (outputNext + pages > output.pages()) {
                outputNext = 0;  // "make clean": the output directory is written again
            }
            Request r = Request.write(output.offset(outputNext, pages), pages * PAGE);
            outputNext += pages;
            return r;
        }
        if (roll < 97) {
            metadataNext = (metadataNext + (random.nextInt(8) == 0 ? 1 : 0)) % metadata.pages();
            // Recent metadata is written most: count back from the newest page.
            long page = metadataNext - recentMetadata.next(random);
            return Request.write(metadata.offset(page, 1), PAGE);
        }
        return Request.flush();
    }
}
