package io.reloc.nbd.channel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a client received over the relocation channel: batches by kind and bytes before and after
 * decoding, so that callers (and tests) can see the codec at work. Thread safe.
 */
public final class ChannelStats {
    private final AtomicLong encodedBatches = new AtomicLong();
    private final AtomicLong rawBatches = new AtomicLong();
    private final AtomicLong zeroBatches = new AtomicLong();
    private final AtomicLong decodedBytes = new AtomicLong();
    private final AtomicLong payloadBytes = new AtomicLong();
    private final AtomicLong zeroBytes = new AtomicLong();

    void data(boolean encoded, long decoded, long payload) {
        (encoded ? encodedBatches : rawBatches).incrementAndGet();
        decodedBytes.addAndGet(decoded);
        payloadBytes.addAndGet(payload);
    }

    /** Counts a zero run. */
    public void zero(long length) {
        zeroBatches.incrementAndGet();
        zeroBytes.addAndGet(length);
    }

    /** A consistent-enough copy of the counters. */
    public Snapshot snapshot() {
        return new Snapshot(encodedBatches.get(), rawBatches.get(), zeroBatches.get(), decodedBytes.get(),
                payloadBytes.get(), zeroBytes.get());
    }

    /**
     * @param decodedBytes bytes of data batches after decoding
     * @param payloadBytes bytes of data batches as received
     * @param zeroBytes bytes covered by zero markers
     */
    public record Snapshot(long encodedBatches, long rawBatches, long zeroBatches, long decodedBytes,
                           long payloadBytes, long zeroBytes) {}
}
