package io.reloc.core.relocation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Copies the blocks no client asked for yet, in block order, at a rate that leaves the link to
 * demand fetches, then detaches the relocation from its source. One thread picks the blocks and
 * keeps up to {@link #IN_FLIGHT} of them being fetched by short-lived workers; demand fetches run
 * on the clients' threads and never wait for it. Pause, resume and the rate apply at once.
 */
public final class BackgroundCopier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundCopier.class);
    /**
     * Blocks fetched at once. One fetch at a time leaves the link idle for a round trip per
     * block; a few in flight keep it busy, pipelined on the source connection, while a demand
     * fetch still waits behind at most this many blocks.
     */
    static final int IN_FLIGHT = 8;
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
        Semaphore slots = new Semaphore(IN_FLIGHT);
        Set<Long> copying = ConcurrentHashMap.newKeySet();
        AtomicReference<IOException> failure = new AtomicReference<>();
        ExecutorService workers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("reloc-background-fetch-", 0).factory());
        try {
            while (!stopped) {
                waitWhilePaused();
                IOException failed = failure.getAndSet(null);
                if (failed != null) {
                    log.warn("background copy failed, retrying in {} ms: {}", backoffMillis, failed.getMessage());
                    Thread.sleep(backoffMillis);
                    backoffMillis = Math.min(backoffMillis * 2, 10_000);
                    continue;
                }
                long block = nextToCopy(cursor, copying);
                if (block < 0) {
                    if (copying.isEmpty()) {
                        if (device.complete()) {
                            return;
                        }
                    } else {
                        // Every absent block is being fetched: wait for one of those fetches.
                        Thread.sleep(1);
                    }
                    continue;
                }
                limiter.acquire(device.geometry().length(block));
                slots.acquire();
                copying.add(block);
                cursor = block + 1;
                long claimed = block;
                workers.execute(() -> {
                    try {
                        device.copyInBackground(claimed);
                    } catch (IOException e) {
                        failure.set(e);
                    } finally {
                        copying.remove(claimed);
                        slots.release();
                    }
                });
                if (failure.get() == null) {
                    backoffMillis = 100;
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
        } finally {
            // Fetches still in flight are interrupted; their blocks stay absent.
            workers.shutdownNow();
        }
    }

    /**
     * The first absent block at or after {@code cursor} (wrapping around once) that no worker
     * is fetching, or -1.
     */
    private long nextToCopy(long cursor, Set<Long> copying) {
        long block = device.nextAbsent(cursor);
        while (block >= 0 && copying.contains(block)) {
            block = device.nextAbsent(block + 1);
        }
        if (block < 0 && cursor > 0) {
            block = device.nextAbsent(0);
            while (block >= 0 && copying.contains(block)) {
                block = device.nextAbsent(block + 1);
            }
        }
        return block;
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
