package io.reloc.strategy.prefetch;

import io.reloc.api.BlockRange;
import io.reloc.api.CopyOrder;

import java.util.ArrayDeque;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Linear background copy, with the read-ahead of every sequential stream that clients read
 * ({@link SequentialStreams}) copied first. Read-ahead ranges wait in a bounded queue; when
 * readers outrun the copier the oldest ranges are dropped (the demand fetch has them by then).
 * {@link #onAccess} is thread safe; {@link #next} and {@link #urgent} are for the copier's thread.
 */
public final class ReadaheadOrder implements CopyOrder {
    /** Ranges waiting for the copier; more would be stale by the time it got to them. */
    static final int QUEUE_LIMIT = 64;

    private final SequentialStreams streams;
    private final long blockCount;
    private final ArrayDeque<BlockRange> queue = new ArrayDeque<>();

    public ReadaheadOrder(SequentialStreams streams, long blockCount) {
        this.streams = requireNonNull(streams, "streams is null");
        this.blockCount = blockCount;
    }

    @Override
    public long next(long cursor) {
        return Math.min(Math.max(cursor, 0), blockCount);
    }

    @Override
    public void onAccess(long first, long count, boolean write, long client) {
        if (write) {
            return;
        }
        streams.read(first, count, client).ifPresent(range -> {
            synchronized (queue) {
                if (queue.size() == QUEUE_LIMIT) {
                    queue.pollFirst();
                }
                queue.addLast(range);
            }
        });
    }

    @Override
    public Optional<BlockRange> urgent() {
        synchronized (queue) {
            // Newest first: the range just ahead of a reader matters more than an older one.
            return Optional.ofNullable(queue.pollLast());
        }
    }
}
