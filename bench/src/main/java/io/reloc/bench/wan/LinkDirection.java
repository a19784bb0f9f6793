package io.reloc.bench.wan;

import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * One direction of the link, shared by every connection crossing it: a chunk leaves only when
 * the link is free and after its bytes have been serialised at the link rate, then arrives one
 * propagation delay later. Computing absolute times (rather than sleeping per chunk) keeps errors
 * from accumulating. Thread safe.
 */
final class LinkDirection {
    private final AtomicLong bytes = new AtomicLong();
    private final RandomGenerator random;
    private volatile LinkSettings settings;
    private long busyUntil;
    private long lastDelivery;

    LinkDirection(LinkSettings settings, RandomGenerator random) {
        this.settings = settings;
        this.random = random;
    }

    void settings(LinkSettings newSettings) {
        settings = newSettings;
    }

    LinkSettings settings() {
        return settings;
    }

    /** When a chunk of {@code length} bytes that arrived at {@code now} reaches the other end. */
    synchronized long schedule(long now, int length) {
        LinkSettings s = settings;
        long start = Math.max(now, busyUntil);
        long serialisation = s.bitsPerSecond() == 0 ? 0 : length * 8L * 1_000_000_000L / s.bitsPerSecond();
        busyUntil = start + serialisation;
        long jitter = s.jitter().isZero() ? 0 : random.nextLong(-s.jitter().toNanos(), s.jitter().toNanos() + 1);
        // A later chunk never overtakes an earlier one, as on a real (FIFO) path.
        long delivery = Math.max(lastDelivery, busyUntil + s.oneWayDelayNanos() + jitter);
        lastDelivery = delivery;
        bytes.addAndGet(length);
        return delivery;
    }

    /** How long a chunk entering now would wait for the chunks ahead of it: the queue, in time. */
    synchronized long backlogNanos(long now) {
        return Math.max(0, busyUntil - now);
    }

    /** Bytes that have entered this direction so far. */
    long bytes() {
        return bytes.get();
    }
}
