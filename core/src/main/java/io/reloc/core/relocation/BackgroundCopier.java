package io.reloc.core.relocation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Copies the blocks no client asked for yet, in block order, at a rate that leaves the link to
 * demand fetches, then detaches the relocation from its source. One thread; demand fetches run
 * on the clients' threads and never wait for it. Pause, resume and the rate apply at once.
 */
public final class BackgroundCopier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundCopier.class);
    /** Persist progress this often, so a crash costs at most this much refetching. */
    private static final long CHECKPOINT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final RelocatingDevice device;
    private final RateLimiter limiter;
    private final Object pauseLock = new Object();
    private boolean paused;
    private volatile boolean stopped;
    private Thread thread;

    public BackgroundCopier(RelocatingDevice device, RateLimiter limiter) {
        this.device = requireNonNull(device, "device is null");
        this.limiter = requireNonNull(limiter, "limiter is null");
    }

    /** Starts copying once the relocation is active. */
    public synchronized void start() {
        if (thread == null) {
            thread = Thread.ofPlatform().name("reloc-background-copy").daemon().unstarted(this::run);
            device.onActivation(thread::start);
        }
    }

    public void pause() {
        synchronized (pauseLock) {
            paused = true;
        }
    }

    public void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    public boolean isPaused() {
        synchronized (pauseLock) {
            return paused;
        }
    }

    public RateLimiter limiter() {
        return limiter;
    }

    private void run() {
        long cursor = 0;
        long lastCheckpoint = System.nanoTime();
        long backoffMillis = 100;
        try {
            while (!stopped) {
                waitWhilePaused();
                long block = device.nextAbsent(cursor);
                if (block < 0) {
                    block = device.nextAbsent(0);
                }
                if (block < 0) {
                    if (device.complete()) {
                        return;
                    }
                    continue;
                }
                limiter.acquire(device.geometry().length(block));
                try {
                    device.copyInBackground(block);
                    backoffMillis = 100;
                    cursor = block + 1;
                } catch (IOException e) {
                    log.warn("background copy of block {} failed, retrying in {} ms: {}", block, backoffMillis, e.getMessage());
                    Thread.sleep(backoffMillis);
                    backoffMillis = Math.min(backoffMillis * 2, 10_000);
                }
                if (System.nanoTime() - lastCheckpoint > CHECKPOINT_NANOS) {
                    device.flush();
                    lastCheckpoint = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.error("background copy stopped: {}", e.getMessage());
        }
    }

    private void waitWhilePaused() throws InterruptedException {
        synchronized (pauseLock) {
            while (paused && !stopped) {
                pauseLock.wait();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        Thread t;
        synchronized (this) {
            stopped = true;
            t = thread;
        }
        resume();
        if (t != null && t.isAlive()) {
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
