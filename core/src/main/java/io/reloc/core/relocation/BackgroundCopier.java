package io.reloc.core.relocation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * Copies the blocks no client asked for yet, then detaches the relocation from its source.
 *
 * <p>It walks the disk in the order of its {@link io.reloc.api.CopyOrder}, first copying whatever
 * ranges the order calls {@link io.reloc.api.CopyOrder#urgent() urgent} (read-ahead, hot
 * regions). Ranges the source reports as holes or zeroes (NBD {@code base:allocation}) are made
 * present locally without crossing the link; data is fetched in
 * runs of adjacent absent blocks, several runs in flight at once so the link's bandwidth-delay
 * product is filled ({@link AdaptiveWindow} finds how many). Runs are kept to a quarter megabyte
 * so that a client's demand fetch, which never waits for the copier, does not queue behind much
 * of it on a shared link. Pause, resume and the rate limit apply at once.
 */
public final class BackgroundCopier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundCopier.class);
    /** Persist progress this often, so a crash costs at most this much refetching. */
    private static final long CHECKPOINT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Small enough that a demand fetch waits behind little background data on a slow link. */
    private static final int RUN_BYTES = 256 << 10;
    /** Least time between two pre-copy rounds: each asks the source once. */
    private static final long PRECOPY_ROUND_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RelocatingDevice device;
    private final io.reloc.api.CopyOrder order;
    private final RateLimiter limiter;
    private final AdaptiveWindow window = new AdaptiveWindow(System::nanoTime);
    private final Object pauseLock = new Object();
    private final AtomicInteger running = new AtomicInteger();
    private final SourceExtents extents;
    private boolean paused;
    /** What is left of the order's last urgent range; copier thread only. */
    private io.reloc.api.BlockRange urgent;
    private volatile boolean stopped;
    private volatile IOException lastFailure;
    private Thread thread;

    public BackgroundCopier(RelocatingDevice device, RateLimiter limiter) {
        this(device, limiter, cursor -> cursor);
    }

    /** @param order where to look next (a {@link io.reloc.api.CopyStrategy}'s order) */
    public BackgroundCopier(RelocatingDevice device, RateLimiter limiter, io.reloc.api.CopyOrder order) {
        this.order = requireNonNull(order, "order is null");
        this.device = requireNonNull(device, "device is null");
        this.limiter = requireNonNull(limiter, "limiter is null");
        this.extents = new SourceExtents(device::sourceExtents, device.geometry().size());
    }

    /** Starts copying once the relocation is active, or at once when it pre-copies. */
    public synchronized void start() {
        if (thread == null) {
            thread = Thread.ofPlatform().name("reloc-background-copy").daemon().unstarted(this::run);
            device.whenCopying(thread::start);
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

    /** Background fetches allowed in flight now (adapted to the link). */
    public int window() {
        return window.limit();
    }

    private record Work(long first, int blocks, boolean zero) {}

    private void run() {
        BlockGeometry geometry = device.geometry();
        int runBlocks = Math.max(1, RUN_BYTES / geometry.blockSize());
        long cursor = 0;
        long lastCheckpoint = System.nanoTime();
        long backoffMillis = 100;
        long presentAtPassStart = device.status().presentBlocks();
        try {
            while (!stopped) {
                waitWhilePaused();
                Work work = nextUrgent(runBlocks, geometry);
                long block = work != null ? work.first() : device.nextAbsent(order.next(cursor));
                if (block < 0) {
                    awaitIdle();
                    if (device.complete()) {
                        return;
                    }
                    if (device.state() == RelocationState.PRECOPY) {
                        precopyRound();
                        cursor = 0;
                        continue;
                    }
                    if (lastFailure != null) {
                        log.warn("background copy pass incomplete ({}); retrying in {} ms", lastFailure.getMessage(), backoffMillis);
                        Thread.sleep(backoffMillis);
                        backoffMillis = Math.min(backoffMillis * 2, 10_000);
                        lastFailure = null;
                    }
                    long present = device.status().presentBlocks();
                    if (present == presentAtPassStart) {
                        // What is left is being fetched by clients: let them finish.
                        Thread.sleep(10);
                    }
                    presentAtPassStart = present;
                    cursor = 0;
                    continue;
                }
                if (work == null) {
                    work = plan(block, runBlocks, geometry);
                    cursor = work.first() + work.blocks();
                }
                Work planned = work;
                if (planned.zero()) {
                    installZeroes(planned); // no transfer: local only
                } else {
                    limiter.acquire((long) planned.blocks() * geometry.blockSize());
                    window.acquire();
                    running.incrementAndGet();
                    Thread.ofVirtual().start(() -> fetch(planned));
                }
                if (System.nanoTime() - lastCheckpoint > CHECKPOINT_NANOS) {
                    device.flush();
                    lastCheckpoint = System.nanoTime();
                    backoffMillis = lastFailure == null ? 100 : backoffMillis;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.error("background copy stopped: {}", e.getMessage());
        }
    }

    /**
     * Between passes of hybrid pre-copy: waits a little (less if activated meanwhile), then has
     * the relocation forget the blocks the source rewrote, which the next pass copies again.
     */
    private void precopyRound() throws InterruptedException {
        long deadline = System.nanoTime() + PRECOPY_ROUND_NANOS;
        while (!stopped && device.state() == RelocationState.PRECOPY && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        try {
            device.refreshPrecopy();
        } catch (IOException e) {
            log.warn("pre-copy round failed: {}; trying again", e.getMessage());
        }
    }

    private void installZeroes(Work work) {
        try {
            device.installZeroRun(work.first(), work.blocks());
        } catch (IOException e) {
            lastFailure = e;
            log.debug("zeroing blocks {}+{} locally failed: {}", work.first(), work.blocks(), e.getMessage());
        }
    }

    private void fetch(Work work) {
        long moved = 0;
        try {
            moved = (long) device.copyRun(work.first(), work.blocks()) * device.geometry().blockSize();
        } catch (IOException e) {
            lastFailure = e;
            log.debug("background fetch of blocks {}+{} failed: {}", work.first(), work.blocks(), e.getMessage());
        } finally {
            window.release(moved);
            synchronized (running) {
                running.decrementAndGet();
                running.notifyAll();
            }
        }
    }

    /**
     * The next run of the order's urgent ranges (read-ahead, hot regions), or null when none is
     * left; present blocks are skipped. Looks at a bounded number of ranges per call, so ranges
     * that turn out present already cannot keep the copier from its plain order.
     */
    private Work nextUrgent(int runBlocks, BlockGeometry geometry) {
        for (int looked = 0; looked < 64; looked++) {
            if (urgent == null) {
                urgent = order.urgent().orElse(null);
                if (urgent == null) {
                    return null;
                }
            }
            long end = Math.min(urgent.end(), geometry.blockCount());
            long block = urgent.first() < end ? device.nextAbsent(urgent.first()) : -1;
            if (block < 0 || block >= end) {
                urgent = null;
                continue;
            }
            Work work = plan(block, (int) Math.min(runBlocks, end - block), geometry);
            long rest = work.first() + work.blocks();
            urgent = rest < end ? new io.reloc.api.BlockRange(rest, end - rest) : null;
            return work;
        }
        return null;
    }

    /** The next piece of work from {@code block}: a zero run to install or a data run to fetch. */
    private Work plan(long block, int runBlocks, BlockGeometry geometry) {
        SourceExtents.Span span = extents.at(geometry.start(block));
        int blocks = 1;
        // Grow the run while the next block is absent and lies wholly in the same extent.
        while (blocks < runBlocks && block + blocks < geometry.blockCount() && !device.isPresent(block + blocks)
                && end(geometry, block + blocks) <= span.end()) {
            blocks++;
        }
        return new Work(block, blocks, span.zero() && end(geometry, block + blocks - 1) <= span.end());
    }

    private static long end(BlockGeometry geometry, long block) {
        return geometry.start(block) + geometry.length(block);
    }

    private void awaitIdle() throws InterruptedException {
        synchronized (running) {
            while (running.get() > 0) {
                running.wait();
            }
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
        awaitIdle();
    }
}
