package io.reloc.nbd.channel;

import java.util.function.LongSupplier;

/**
 * Measures on the client how fast a connection's RELOC_READ replies arrive, for the server's codec
 * choice ({@link AdaptiveChoice}): bytes of batch chunks over the time between their arrivals while
 * a RELOC_READ was outstanding. The wait for the first chunk after an idle spell is left out (it
 * is a round trip, not the link), so sparse requests do not pass for a slow link. Rates are
 * measured over windows of {@value #WINDOW_MILLIS} ms and {@value #MIN_BYTES} bytes of such
 * arrivals; the rate told is the most of the last {@value #WINDOWS} windows (as BBR's filter: a
 * sender that had less to send, the background copy starting up, makes a window slower than the
 * link, never faster), when it differs from the last one told by more than {@value #CHANGE}.
 * Thread safe.
 */
public final class LinkMeter {
    static final long WINDOW_MILLIS = 500;
    static final long MIN_BYTES = 1 << 20;
    static final double CHANGE = 0.2;
    static final int WINDOWS = 4;

    private final LongSupplier clock;
    private int outstanding;
    /** Time of the last arrival while busy; -1 after an idle spell. */
    private long lastArrival = -1;
    private long busyNanos;
    private long bytes;
    private long lastRate;
    private final long[] recent = new long[WINDOWS];
    private long windows;

    /** @param clock nanoseconds, e.g. {@code System::nanoTime} */
    public LinkMeter(LongSupplier clock) {
        this.clock = clock;
    }

    /** A RELOC_READ was sent. */
    public synchronized void started() {
        outstanding++;
    }

    /** A chunk of {@code length} bytes (header included) of a RELOC_READ reply arrived. */
    public synchronized void arrived(long length) {
        long now = clock.getAsLong();
        if (lastArrival >= 0) {
            busyNanos += now - lastArrival;
            bytes += length;
        }
        lastArrival = now;
    }

    /**
     * A RELOC_READ's reply ended. Returns the rate in bytes per second worth telling the server,
     * or 0 when none is due.
     */
    public synchronized long ended() {
        if (outstanding > 0 && --outstanding == 0) {
            lastArrival = -1;
        }
        if (busyNanos < WINDOW_MILLIS * 1_000_000 || bytes < MIN_BYTES) {
            return 0;
        }
        recent[(int) (windows++ % WINDOWS)] = (long) (bytes * 1e9 / busyNanos);
        busyNanos = 0;
        bytes = 0;
        long rate = java.util.Arrays.stream(recent).max().orElseThrow();
        if (rate <= 0 || lastRate > 0 && Math.abs(rate - lastRate) <= CHANGE * lastRate) {
            return 0;
        }
        lastRate = rate;
        return rate;
    }
}
