package io.reloc.core.relocation;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A token bucket in bytes per second whose rate may change at any time; 0 means unlimited. The
 * clock is injected so tests can drive it. Thread safe.
 */
public final class RateLimiter {
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private long bytesPerSecond;
    private double tokens;
    private long last;

    /** Pauses the caller; injected so tests need not sleep. */
    @FunctionalInterface
    public interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    public RateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    public RateLimiter(long bytesPerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.last = nanoTime.getAsLong();
        setRate(bytesPerSecond);
    }

    public synchronized void setRate(long newBytesPerSecond) {
        if (newBytesPerSecond < 0) {
            throw new IllegalArgumentException("rate must not be negative: " + newBytesPerSecond);
        }
        refill();
        bytesPerSecond = newBytesPerSecond;
        tokens = Math.min(tokens, burst());
    }

    public synchronized long rate() {
        return bytesPerSecond;
    }

    /** Blocks until {@code bytes} may be sent. */
    public void acquire(long bytes) throws InterruptedException {
        long wait;
        synchronized (this) {
            if (bytesPerSecond == 0) {
                return;
            }
            refill();
            tokens -= bytes;
            wait = tokens >= 0 ? 0 : (long) (-tokens * 1e9 / bytesPerSecond);
        }
        if (wait > 0) {
            sleeper.sleepNanos(wait);
        }
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        if (bytesPerSecond > 0) {
            tokens = Math.min(burst(), tokens + (now - last) * (double) bytesPerSecond / 1e9);
        }
        last = now;
    }

    /** A tenth of a second's worth: smooth enough, and a paused copier does not hoard credit. */
    private double burst() {
        return bytesPerSecond / 10.0;
    }
}
