package io.reloc.core.relocation;

import io.reloc.core.net.ReplyPacing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * Copies the blocks no client asked for yet, then detaches the relocation from its source.
 *
 * <p>It walks the disk in the order of its {@link io.reloc.api.CopyOrder}, first copying whatever
 * ranges the order calls {@link io.reloc.api.CopyOrder#urgent() urgent} (read-ahead, hot
 * regions). Ranges the source reports as holes or zeroes (NBD {@code base:allocation}) are made
 * present locally without crossing the link; data is fetched in
 * runs of adjacent absent blocks, several runs in flight at once so the link's bandwidth-delay
 * product is filled. A client's demand fetch never waits for the copier inside Reloc (it has its
 * own connection), but on the link it queues behind whatever background data is ahead of it at
 * the bottleneck; so by default a {@link DelayPacer} sizes and paces the fetches to keep that
 * queue near empty (about a millisecond) while using the link, with fetches of about a
 * millisecond of link time each. The system property {@value #PACING_PROPERTY}{@code =throughput}
 * selects the older {@link AdaptiveWindow} instead (quarter-megabyte runs, as many in flight as
 * raise throughput), to compare. Pause, resume and the rate limit apply at once.
 */
public final class BackgroundCopier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundCopier.class);
    /** Persist progress this often, so a crash costs at most this much refetching. */
    private static final long CHECKPOINT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Run size of the throughput window: small enough that a demand fetch waits behind little. */
    private static final int RUN_BYTES = 256 << 10;
    /** {@code delay} (default) or {@code throughput}: how background fetches are sized and paced. */
    public static final String PACING_PROPERTY = "reloc.background.pacing";
    /** Queueing delay the pacer tolerates at the bottleneck, in milliseconds (default 1). */
    public static final String QUEUE_PROPERTY = "reloc.background.queue-ms";
    /** Link time of one background fetch, in milliseconds (default 1). */
    public static final String RUN_TIME_PROPERTY = "reloc.background.run-ms";
    /**
     * {@code true} (default) or {@code false}: whether the background lane's server is asked to
     * keep the rate limit itself ({@link LanePace}), where it can.
     */
    public static final String SOURCE_PACING_PROPERTY = "reloc.background.source-pacing";
    /**
     * The defaults of the two. A demand reply at the bottleneck waits behind the rest of the fetch
     * being sent and behind the queue the pacer tolerates (up to twice the target before it acts).
     * Half a millisecond each took 0.4 ms off the median demand read at 100 Mbit/s, 20 ms, but
     * relocation on loopback 4% (the target) and 5% (the run) slower: small targets on a short
     * round trip take a busy CPU's jitter for queues (docs/wan-benchmark-log.md, "Eleventh pass").
     */
    private static final double DEFAULT_QUEUE_MILLIS = 1;
    private static final double DEFAULT_RUN_MILLIS = 1;
    private static final long LARGEST_PACED_RUN = 1 << 20;
    /**
     * Below this the cost per request, not the link, limits the copy on a busy machine: 4 KiB
     * fetches at 100 Mbit/s (3,000 a second) left stalls in the copy that queued more than they saved.
     */
    private static final long SMALLEST_PACED_RUN = 8 << 10;
    private static final long INITIAL_PACED_RUN = 64 << 10;
    /** Most fetched bytes waiting for the cache before the copier waits for them (see {@link #fetch}). */
    private static final long WRITE_BACKLOG_BYTES = 16 << 20;
    /** Regions of the cache allocated at once ahead of the copy ({@link #allocateAhead}). */
    static final long ALLOCATE_BYTES = 64L << 20;
    private static final long STATE_LOG_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Least time between two pre-copy rounds: each asks the source once. */
    private static final long PRECOPY_ROUND_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RelocatingDevice device;
    private final io.reloc.api.CopyOrder order;
    private final RateLimiter limiter;
    private final AdaptiveWindow window = new AdaptiveWindow(System::nanoTime);
    /** Null when the throughput window is used instead. */
    private final DelayPacer pacer;
    /** Null without a lane of its own that can pace. */
    private final LanePace lanePace;
    private final Object pauseLock = new Object();
    private final AtomicInteger running = new AtomicInteger();
    /** Bytes fetched and not yet written to the cache. */
    private final AtomicLong writing = new AtomicLong();
    private final SourceExtents extents;
    /** Regions allocated ahead already; copier thread only. */
    private final java.util.BitSet allocated = new java.util.BitSet();
    private boolean paused;
    /** What is left of the order's last urgent range; copier thread only. */
    private io.reloc.api.BlockRange urgent;
    private volatile boolean stopped;
    private volatile IOException lastFailure;
    private Thread thread;
    private volatile Thread checkpoint;

    public BackgroundCopier(RelocatingDevice device, RateLimiter limiter) {
        this(device, limiter, cursor -> cursor);
    }

    /** @param order where to look next (a {@link io.reloc.api.CopyStrategy}'s order) */
    public BackgroundCopier(RelocatingDevice device, RateLimiter limiter, io.reloc.api.CopyOrder order) {
        this.order = requireNonNull(order, "order is null");
        this.device = requireNonNull(device, "device is null");
        this.limiter = requireNonNull(limiter, "limiter is null");
        this.extents = new SourceExtents(device::sourceExtents, device.geometry().size());
        this.pacer = pacer(device.geometry().blockSize(), device.backgroundLinkBytes());
        this.lanePace = lanePace(device.backgroundReplyPacing(), limiter);
    }

    private static LanePace lanePace(ReplyPacing lane, RateLimiter limiter) {
        String on = System.getProperty(SOURCE_PACING_PROPERTY, "true");
        if (!on.equals("true") && !on.equals("false")) {
            throw new IllegalArgumentException(SOURCE_PACING_PROPERTY + " must be true or false, not '" + on + "'");
        }
        return lane != null && on.equals("true") ? new LanePace(lane, limiter) : null;
    }

    /** @param linkBytes the background lane's counts of bytes on the link, or null to pace by bytes fetched */
    private static DelayPacer pacer(int blockSize, io.reloc.core.net.LinkBytes linkBytes) {
        String pacing = System.getProperty(PACING_PROPERTY, "delay");
        switch (pacing) {
            case "delay" -> {
                long queue = millisProperty(QUEUE_PROPERTY, DEFAULT_QUEUE_MILLIS);
                long run = millisProperty(RUN_TIME_PROPERTY, DEFAULT_RUN_MILLIS);
                long smallest = Math.max(blockSize, SMALLEST_PACED_RUN);
                long largest = Math.max(smallest, LARGEST_PACED_RUN);
                return new DelayPacer(System::nanoTime, new DelayPacer.Settings(queue, run, smallest, largest,
                        Math.clamp(INITIAL_PACED_RUN, smallest, largest)), linkBytes);
            }
            case "throughput" -> {
                return null;
            }
            default -> throw new IllegalArgumentException(PACING_PROPERTY + " must be delay or throughput, not '" + pacing + "'");
        }
    }

    private static long millisProperty(String name, double defaultMillis) {
        String text = System.getProperty(name);
        try {
            double millis = text == null ? defaultMillis : Double.parseDouble(text);
            if (!(millis > 0) || millis > 10_000) {
                throw new NumberFormatException();
            }
            return (long) (millis * 1e6);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number of milliseconds above 0, not '" + text + "'");
        }
    }

    /** Starts copying once the relocation is active, or at once when it pre-copies. */
    public synchronized void start() {
        if (thread == null) {
            // Noted now: in standby the thread starts only at switch-over, which it must still see.
            RelocationState startedIn = device.state();
            thread = Thread.ofPlatform().name("reloc-background-copy").daemon().unstarted(() -> run(startedIn));
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

    /**
     * The rate, in bytes per second on the link, at which the path from the source delivered the
     * copy's fetches, as its pacer measured it (the median of its last few round trips once
     * cruising); 0 before the first measurement or when the copy is not paced by delay. A limit
     * below the link caps what can be measured: to choose a limit, read this with none.
     */
    public long measuredLinkRate() {
        return pacer == null ? 0 : Math.round(pacer.deliveredRate());
    }

    /** Background fetches allowed in flight now (adapted to the link). */
    public int window() {
        return pacer == null ? window.limit() : (int) Math.max(1, pacer.window() / pacer.runBytes());
    }

    private record Work(long first, int blocks, boolean zero) {}

    private int runBlocks(BlockGeometry geometry) {
        long bytes = pacer == null ? RUN_BYTES : pacer.runBytes();
        return (int) Math.max(1, bytes / geometry.blockSize());
    }

    private void run(RelocationState startedIn) {
        BlockGeometry geometry = device.geometry();
        long cursor = 0;
        long lastCheckpoint = System.nanoTime();
        long lastStateLog = lastCheckpoint;
        long backoffMillis = 100;
        long presentAtPassStart = device.status().presentBlocks();
        if (lanePace != null) {
            lanePace.update(); // before the first fetch; then as each ends
        }
        try {
            RelocationState learnedIn = startedIn;
            while (!stopped) {
                waitWhilePaused();
                RelocationState state = device.state();
                if (state != learnedIn) {
                    // Activated: what was learned of the source while it still changed may be stale.
                    extents.forget();
                    if (state == RelocationState.ACTIVE) {
                        order.activated();
                    }
                    learnedIn = state;
                }
                Work work = nextUrgent(runBlocks(geometry), geometry);
                long block = work != null ? work.first() : device.nextAbsent(order.next(cursor));
                if (block < 0) {
                    awaitIdle();
                    if (device.complete()) {
                        return;
                    }
                    // A new pass: learn the source's allocation afresh, as it was learned for this one.
                    extents.forget();
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
                    work = plan(block, runBlocks(geometry), geometry);
                    cursor = work.first() + work.blocks();
                }
                Work planned = work;
                if (planned.zero()) {
                    installZeroes(planned); // no transfer: local only
                } else {
                    allocateAhead(planned, geometry);
                    long bytes = (long) planned.blocks() * geometry.blockSize();
                    awaitWriteBacklog();
                    limiter.acquire(bytes);
                    DelayPacer.Fetch ticket = null;
                    if (pacer == null) {
                        window.acquire();
                    } else {
                        ticket = pacer.acquire(bytes);
                    }
                    running.incrementAndGet();
                    DelayPacer.Fetch sent = ticket;
                    Thread.ofVirtual().start(() -> fetch(planned, sent));
                }
                if (pacer != null && log.isDebugEnabled() && System.nanoTime() - lastStateLog > STATE_LOG_NANOS) {
                    log.debug("background pacing: {}", pacer);
                    lastStateLog = System.nanoTime();
                }
                if (System.nanoTime() - lastCheckpoint > CHECKPOINT_NANOS && checkpointDone()) {
                    // On its own thread: an fsync can take long, and paced fetches must not wait.
                    checkpoint = Thread.ofVirtual().name("reloc-checkpoint").start(this::checkpoint);
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
     * Before the first fetch into a region of {@link #ALLOCATE_BYTES}, has the cache allocate the
     * region's absent data (what the source reports as zeroes stays a hole): one allocation
     * instead of one per fetch, which on ext4 lets the fetches' direct writes run side by side.
     */
    private void allocateAhead(Work work, BlockGeometry geometry) {
        int region = (int) (geometry.start(work.first()) / ALLOCATE_BYTES);
        if (allocated.get(region)) {
            return;
        }
        allocated.set(region);
        long end = Math.min(geometry.size(), (region + 1L) * ALLOCATE_BYTES);
        try {
            for (long at = (long) region * ALLOCATE_BYTES; at < end; ) {
                SourceExtents.Span span = extents.at(at);
                long spanEnd = Math.min(span.end(), end);
                if (!span.zero()) {
                    device.allocateAbsent(at, spanEnd);
                }
                at = spanEnd;
            }
        } catch (IOException e) {
            log.debug("allocating the cache up to byte {} ahead of the copy failed: {}", end, e.getMessage());
        }
    }

    private boolean checkpointDone() {
        Thread t = checkpoint;
        return t == null || !t.isAlive();
    }

    private void checkpoint() {
        try {
            device.flush();
        } catch (IOException e) {
            log.warn("saving background copy progress failed: {}", e.getMessage());
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

    private void fetch(Work work, DelayPacer.Fetch ticket) {
        // The transfer ends when the data is in hand: the cache write after it is no part of the
        // link's round trip, and holding the pacer's slot through it left the link idle meanwhile.
        long[] received = {-1};
        try {
            device.copyRun(work.first(), work.blocks(), bytes -> {
                received[0] = bytes;
                endTransfer(ticket, bytes);
                writing.addAndGet(bytes);
            });
        } catch (IOException e) {
            lastFailure = e;
            log.debug("background fetch of blocks {}+{} failed: {}", work.first(), work.blocks(), e.getMessage());
        } finally {
            if (received[0] < 0) {
                endTransfer(ticket, 0);
            } else {
                writing.addAndGet(-received[0]);
            }
            synchronized (running) {
                running.decrementAndGet();
                running.notifyAll();
            }
        }
    }

    private void endTransfer(DelayPacer.Fetch ticket, long bytes) {
        if (ticket == null) {
            window.release(bytes);
        } else {
            pacer.done(ticket, bytes);
        }
        if (lanePace != null) {
            lanePace.update();
        }
    }

    /** Waits while fetched data waiting for the cache exceeds {@link #WRITE_BACKLOG_BYTES}: a slow disk slows the copy. */
    private void awaitWriteBacklog() throws InterruptedException {
        synchronized (running) {
            while (writing.get() > WRITE_BACKLOG_BYTES) {
                running.wait();
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
        Thread c = checkpoint;
        if (c != null) {
            c.join();
        }
    }
}
