package io.reloc.core.store;

import io.reloc.core.store.LinuxFiles.ErrnoException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the kernel's writeback of a file's written pages every {@code after} bytes, without
 * waiting for it ({@code sync_file_range} with {@code SYNC_FILE_RANGE_WRITE}, as PostgreSQL's
 * {@code *_flush_after} settings do).
 *
 * <p>Why: Linux lets dirty pages gather up to a share of memory (gigabytes on a large host) before
 * it writes any, so the next {@code fdatasync} (a client's FLUSH, a relocation's checkpoint or its
 * last map before {@code complete}) waits for all of them at once: 0.7 s for a relocated 1 GiB
 * on the benchmark machine. Started as the data comes, the disk writes while the copy goes on and
 * the flush finds little left. Durability is unchanged: only {@code fdatasync} makes data durable.
 *
 * <p>Thread safe. The range started is the span of the writes since the last start; the kernel
 * skips pages in it that are clean or already under writeback.
 */
final class Writeback {
    /** Default bytes written between two starts; {@code reloc.store.writeback-after} overrides it (0: never). */
    static final long DEFAULT_AFTER = 32L << 20;

    private static final Logger log = LoggerFactory.getLogger(Writeback.class);

    /** What starts writeback of a range: {@link LinuxFiles#startWriteback} on the store's descriptor. */
    @FunctionalInterface
    interface Starter {
        void start(long offset, long length) throws ErrnoException;
    }

    private final Starter starter;
    private final long after;
    private long pending;
    private long low = Long.MAX_VALUE;
    private long high;
    private volatile boolean failed;

    Writeback(Starter starter, long after) {
        this.starter = starter;
        this.after = after;
    }

    static long configuredAfter() {
        return Long.getLong("reloc.store.writeback-after", DEFAULT_AFTER);
    }

    /** Notes a completed write; past the threshold, starts writeback of what was written since the last start. */
    void written(long offset, long length) {
        if (after <= 0 || failed) {
            return;
        }
        long from;
        long to;
        synchronized (this) {
            pending += length;
            low = Math.min(low, offset);
            high = Math.max(high, offset + length);
            if (pending < after) {
                return;
            }
            from = low;
            to = high;
            pending = 0;
            low = Long.MAX_VALUE;
            high = 0;
        }
        try {
            starter.start(from, to - from);
        } catch (ErrnoException e) {
            // Only a hint: a write error also reaches the next fdatasync, which reports it.
            failed = e.errno() == LinuxFiles.EINVAL || e.errno() == LinuxFiles.ENOSYS;
            log.debug("starting writeback of bytes {}..{} failed: {}", from, to, e.getMessage());
        }
    }
}
