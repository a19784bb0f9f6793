package io.reloc.bench.wan;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * When each small chunk entered the emulated link, when it was due at the other end and when the
 * relay began to hand it over, per connection and direction: enough to split a request and its
 * reply into the parts each hop took (see {@code io.reloc.bench.DemandBreakdown}). Only chunks
 * of at most {@link #maxBytes} are kept, so a bulk transfer costs the log nothing. Thread safe.
 */
public final class ChunkLog {
    /** One chunk; times are {@link System#nanoTime()}. */
    public record Entry(int connection, boolean upstream, int length, long enteredAt, long deliverAt, long writtenAt) {}

    private final int maxBytes;
    private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();

    public ChunkLog(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Records a chunk (the relay does, as it hands each over). */
    public void add(int connection, boolean upstream, int length, long enteredAt, long deliverAt, long writtenAt) {
        if (length <= maxBytes) {
            entries.add(new Entry(connection, upstream, length, enteredAt, deliverAt, writtenAt));
        }
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }
}
