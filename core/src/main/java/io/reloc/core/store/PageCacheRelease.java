package io.reloc.core.store;

import io.reloc.core.store.LinuxFiles.ErrnoException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps ranges that will not be read soon ({@link io.reloc.api.BlockDevice#writeUncached}) and
 * could not be written past the page cache ({@link DirectWrites}) out of it, as {@code nbdcopy}
 * does with what it writes: writeback of each range starts at once,
 * and once more than {@code lag} bytes of such ranges are waiting, the oldest are written out and
 * dropped ({@link LinuxFiles#writeAndDrop}), by then mostly on disk already.
 *
 * <p>Why: a relocation writes the whole disk. Kept in the page cache, it pushes out what the
 * host's clients read, and in a virtual machine whose free memory goes back to its host every
 * page is a fresh one to fault in: writing a gigabyte then took 3.5 s instead of 0.4 s on the
 * benchmark machine. Dropped behind the copy, the same few megabytes of memory are used again.
 *
 * <p>Thread safe; the waits happen in the calling thread, outside any lock. Only a hint: a
 * failure is logged and, when the kernel lacks the calls, stops further attempts.
 */
final class PageCacheRelease {
    /** Default bytes of released ranges left in memory; {@code reloc.store.release-after} overrides it (0: never drop). */
    static final long DEFAULT_LAG = 16L << 20;

    private static final Logger log = LoggerFactory.getLogger(PageCacheRelease.class);

    /** The two system calls, on the store's descriptor; a test counts them instead. */
    interface Calls {
        void startWriteback(long offset, long length) throws ErrnoException;

        void writeAndDrop(long offset, long length) throws ErrnoException;
    }

    private record Range(long offset, long length) {}

    private final Calls calls;
    private final long lag;
    private final ArrayDeque<Range> waiting = new ArrayDeque<>();
    private long waitingBytes;
    private volatile boolean unsupported;

    PageCacheRelease(Calls calls, long lag) {
        this.calls = calls;
        this.lag = lag;
    }

    static long configuredLag() {
        return Long.getLong("reloc.store.release-after", DEFAULT_LAG);
    }

    /** Notes a range written that will not be read soon; may drop older ones (and wait for their writeback). */
    void released(long offset, long length) {
        if (lag <= 0 || unsupported || length <= 0) {
            return;
        }
        if (!attempt(() -> calls.startWriteback(offset, length), offset, length)) {
            return;
        }
        List<Range> due = new ArrayList<>();
        synchronized (this) {
            waiting.addLast(new Range(offset, length));
            waitingBytes += length;
            while (waitingBytes > lag) {
                Range oldest = waiting.removeFirst();
                waitingBytes -= oldest.length();
                due.add(oldest);
            }
        }
        for (Range range : due) {
            attempt(() -> calls.writeAndDrop(range.offset(), range.length()), range.offset(), range.length());
        }
    }

    @FunctionalInterface
    private interface Call {
        void run() throws ErrnoException;
    }

    private boolean attempt(Call call, long offset, long length) {
        try {
            call.run();
            return true;
        } catch (ErrnoException e) {
            // A write error also reaches the next fdatasync, which reports it to whoever flushes.
            unsupported = e.errno() == LinuxFiles.ENOSYS || e.errno() == LinuxFiles.EINVAL;
            log.debug("releasing bytes {}..{} from the page cache failed: {}", offset, offset + length, e.getMessage());
            return false;
        }
    }
}
