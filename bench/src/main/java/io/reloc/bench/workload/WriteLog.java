package io.reloc.bench.workload;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What a workload wrote, page by page, so that a relocated disk can be checked against the
 * source image plus these writes. A page's content is derived from a tag (a counter), so only the
 * tag of each page's last write is kept, not its bytes.
 *
 * <p>Thread safe.
 */
public final class WriteLog {
    public static final int PAGE = Workload.PAGE;

    private final Map<Long, Long> tagByPage = new HashMap<>();
    private final long seed;
    private long nextTag;

    public WriteLog(long seed) {
        this.seed = seed;
    }

    /** The bytes of a new write of {@code length} (whole pages) at {@code offset}; remembered as the pages' content. */
    public synchronized byte[] next(long offset, int length) {
        if (offset % PAGE != 0 || length % PAGE != 0) {
            throw new IllegalArgumentException("writes are whole pages: " + offset + "+" + length);
        }
        byte[] data = new byte[length];
        for (int i = 0; i < length / PAGE; i++) {
            long tag = nextTag++;
            fill(tag, data, i * PAGE);
            tagByPage.put(offset / PAGE + i, tag);
        }
        return data;
    }

    /**
     * Overwrites {@code buffer}, which holds {@code length} bytes of the disk from {@code offset}
     * on, with the pages written there; a partial page at the end was never written.
     */
    public synchronized void apply(long offset, byte[] buffer, int length) {
        if (offset % PAGE != 0) {
            throw new IllegalArgumentException("pages are checked from their start: " + offset);
        }
        for (int i = 0; i < length / PAGE; i++) {
            Long tag = tagByPage.get(offset / PAGE + i);
            if (tag != null) {
                fill(tag, buffer, i * PAGE);
            }
        }
    }

    public synchronized int pages() {
        return tagByPage.size();
    }

    private void fill(long tag, byte[] dst, int at) {
        byte[] page = new byte[PAGE];
        new SplittableRandom(seed * 0x9E3779B97F4A7C15L + tag).nextBytes(page);
        System.arraycopy(page, 0, dst, at, PAGE);
    }
}
