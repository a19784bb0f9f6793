package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.net.LinkBytes;
import io.reloc.core.store.Ranges;
import io.reloc.core.tracking.DirtyBlocks;
import io.reloc.core.tracking.SourceTracking;
import io.reloc.core.tracking.TrackingUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

import static java.util.Objects.requireNonNull;

/**
 * The destination side of a relocation: a {@link BlockDevice} that serves at once whatever is
 * local, fetches absent blocks from the source on demand, keeps writes local, and becomes a plain
 * local disk once every block is present.
 *
 * <p>How the invariants of DESIGN.md hold here:
 * <ul>
 * <li>I3 (no stale overwrite): a fetched block is installed only under its block lock and only if
 *     the block is still absent; every local write marks its whole blocks present under the same
 *     lock, after writing them. A fetch that loses the race is discarded.</li>
 * <li>I4 (crash safety): bits reach the map file only through {@link #flush()}, which snapshots
 *     the bits, then flushes the local store, then writes the map: every bit on disk was set
 *     after its data was written, and that data was flushed before the bit was persisted.</li>
 * <li>I1 across restarts: a FUA write or a FLUSH persists the map too, so an acknowledged local
 *     write is never refetched over after a crash.</li>
 * <li>I5: {@link #complete()} persists a full map in state COMPLETE before the source is closed.</li>
 * </ul>
 *
 * <p>Hybrid pre-copy ({@link RelocationState#PRECOPY}): before switch-over, blocks are copied while
 * the source still changes; their bits mean "copied, not yet trusted". The source tracks writes
 * (see {@link SourceTracking}); each round, and finally at activation, the blocks it reports
 * written are cleared from the map ({@link #refreshPrecopy()}). A copy whose source read may
 * predate such an answer is never installed after it: every copy notes the pre-copy epoch before
 * it reads the source and installs only if no answer was applied since (under the block's lock).
 * A round's answer is acknowledged to the source only once the cleared map is durable, so a crash
 * makes the source repeat it; a source that lost the session makes the relocation distrust every
 * pre-copied block.
 *
 * <p>Thread safe. Buffers are never retained.
 */
public final class RelocatingDevice implements BlockDevice {
    private static final Logger log = LoggerFactory.getLogger(RelocatingDevice.class);
    private static final int STRIPES = 1024;
    /** Largest single source read: bounds memory per fetch (I6) while keeping round trips few. */
    static final int MAX_RUN_BYTES = 4 << 20;

    private final BlockDevice cache;
    private final MapFile mapFile;
    private final BlockGeometry geometry;
    private final PresenceMap map;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final ConcurrentHashMap<Long, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private final Object persistLock = new Object();
    private final List<Runnable> activationListeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> copyListeners = new CopyOnWriteArrayList<>();
    /** Bumped whenever pre-copied blocks are forgotten; see the class comment. */
    private final AtomicLong precopyEpoch = new AtomicLong();
    /** Bits cleared so far: a map with as many bits as the persisted one may still differ from it. */
    private final AtomicLong clearedBits = new AtomicLong();
    private final AtomicLong precopyRounds = new AtomicLong();
    private final AtomicLong precopyForgotten = new AtomicLong();
    private final AtomicLong demandFetches = new AtomicLong();
    private final AtomicLong backgroundFetches = new AtomicLong();
    private final AtomicLong zeroBlocks = new AtomicLong();
    private final FetchBuffers buffers = new FetchBuffers();

    private volatile BlockDevice source;
    private volatile BlockDevice backgroundSource;
    private volatile MapHeader header;
    private volatile AccessListener accessListener = (first, count, write, client) -> { };
    private long persistedPresent = -1;
    private long persistedCleared = -1;

    private RelocatingDevice(BlockDevice cache, BlockDevice source, MapFile mapFile, MapHeader header, PresenceMap map) {
        this.cache = cache;
        this.source = source;
        this.mapFile = mapFile;
        this.header = header;
        this.geometry = header.geometry();
        this.map = map;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Opens a relocation, resuming from {@code mapFile} when it exists.
     *
     * @param cache the local store, of the source's size
     * @param source the source, read-only; closed when the relocation completes
     * @param blockSize relocation block size for a new map
     * @param sourceIdentity names the source export; a map made for another source is refused
     * @param cacheId names the cache; a map made for another cache is refused
     * @param activate start active (the source is quiescent) rather than in standby
     * @throws IOException with a message saying what does not match when the map belongs to
     *     another disk or source, or the cache has the wrong size
     */
    public static RelocatingDevice open(BlockDevice cache, BlockDevice source, MapFile mapFile, int blockSize,
                                        String sourceIdentity, String cacheId, boolean activate) throws IOException {
        return open(cache, source, mapFile, blockSize, sourceIdentity, cacheId,
                activate ? StartMode.ACTIVE : StartMode.STANDBY);
    }

    /**
     * Opens a relocation, resuming from {@code mapFile} when it exists. A relocation that was
     * already activated stays active whatever {@code mode} says. One that was pre-copying resumes
     * pre-copying with {@link StartMode#PRECOPY}, is activated with {@link StartMode#ACTIVE} (after
     * asking the source what it rewrote), and drops what it pre-copied with
     * {@link StartMode#STANDBY}.
     *
     * @param source the source, read-only; with {@link StartMode#PRECOPY} it must implement
     *     {@link SourceTracking}
     * @throws TrackingUnavailableException with {@link StartMode#PRECOPY} when the source cannot
     *     track writes
     * @throws IOException with a message saying what does not match when the map belongs to
     *     another disk or source, or the cache has the wrong size
     */
    public static RelocatingDevice open(BlockDevice cache, BlockDevice source, MapFile mapFile, int blockSize,
                                        String sourceIdentity, String cacheId, StartMode mode) throws IOException {
        requireNonNull(source, "source is null");
        requireNonNull(mode, "mode is null");
        requireNonNull(sourceIdentity, "sourceIdentity is null");
        var existing = requireNonNull(mapFile, "mapFile is null").read();
        BlockGeometry geometry = new BlockGeometry(source.size(), blockSize);
        MapHeader header;
        PresenceMap map;
        if (existing.isPresent()) {
            header = existing.get().header();
            checkMatches(mapFile, header, geometry, sourceIdentity, cacheId);
            map = new PresenceMap(geometry.blockCount(), existing.get().bits());
            if (mode == StartMode.ACTIVE && header.state() == RelocationState.STANDBY) {
                header = header.with(RelocationState.ACTIVE, ActivationTrigger.AT_START);
            } else if (mode == StartMode.PRECOPY && header.state() == RelocationState.STANDBY) {
                header = header.with(RelocationState.PRECOPY, ActivationTrigger.NONE);
            } else if (mode == StartMode.STANDBY && header.state() == RelocationState.PRECOPY) {
                log.info("started without pre-copy: dropping {} pre-copied blocks", map.presentCount());
                header = header.with(RelocationState.STANDBY, ActivationTrigger.NONE);
                map = new PresenceMap(geometry.blockCount());
            }
        } else {
            header = switch (mode) {
                case ACTIVE -> new MapHeader(geometry, sourceIdentity, cacheId, RelocationState.ACTIVE, ActivationTrigger.AT_START);
                case STANDBY -> new MapHeader(geometry, sourceIdentity, cacheId, RelocationState.STANDBY, ActivationTrigger.NONE);
                case PRECOPY -> new MapHeader(geometry, sourceIdentity, cacheId, RelocationState.PRECOPY, ActivationTrigger.NONE);
            };
            map = new PresenceMap(geometry.blockCount());
        }
        if (header.state() == RelocationState.PRECOPY && header.trackingSession() == 0) {
            // Before anything is copied: a write is either seen by the copy or recorded.
            header = header.tracking(startSession(source, blockSize), 0);
        }
        RelocatingDevice device = start(cache, source, mapFile, header, map);
        if (mode == StartMode.ACTIVE && device.state() == RelocationState.PRECOPY) {
            try {
                device.activate(ActivationTrigger.AT_START);
            } catch (IOException | RuntimeException e) {
                device.close();
                throw e;
            }
        }
        return device;
    }

    private static long startSession(BlockDevice source, int blockSize) throws IOException {
        try {
            return tracking(source).startTracking(blockSize);
        } catch (TrackingUnavailableException e) {
            throw new TrackingUnavailableException(e.getMessage().contains("start without pre-copy") ? e.getMessage()
                    : e.getMessage() + "; hybrid pre-copy needs a source that reports its writes (a Reloc server): "
                    + "start without pre-copy (plain standby) instead", e);
        }
    }

    private static SourceTracking tracking(BlockDevice source) throws TrackingUnavailableException {
        if (source instanceof SourceTracking tracking) {
            return tracking;
        }
        throw new TrackingUnavailableException("source " + source + " cannot report the writes it receives (only a "
                + "Reloc server can); hybrid pre-copy needs that: start without pre-copy (plain standby) instead");
    }

    /**
     * Reopens a relocation whose map says it completed: no source is needed any more.
     *
     * @return empty if the map is missing or the relocation is not complete
     */
    public static java.util.Optional<RelocatingDevice> openCompleted(BlockDevice cache, MapFile mapFile, String cacheId)
            throws IOException {
        var existing = requireNonNull(mapFile, "mapFile is null").read();
        if (existing.isEmpty() || existing.get().header().state() != RelocationState.COMPLETE) {
            return java.util.Optional.empty();
        }
        MapHeader header = existing.get().header();
        checkMatches(mapFile, header, header.geometry(), header.sourceIdentity(), cacheId);
        PresenceMap map = new PresenceMap(header.geometry().blockCount(), existing.get().bits());
        return java.util.Optional.of(start(cache, null, mapFile, header, map));
    }

    private static RelocatingDevice start(BlockDevice cache, BlockDevice source, MapFile mapFile, MapHeader header,
                                          PresenceMap map) throws IOException {
        requireNonNull(cache, "cache is null");
        if (cache.size() != header.geometry().size()) {
            throw new IOException("the cache holds " + cache.size() + " bytes but the relocated disk has "
                    + header.geometry().size() + "; use a cache file of the source's size (a new one is sized automatically)");
        }
        if (header.state() == RelocationState.COMPLETE && !map.isComplete()) {
            throw new IOException("map file " + mapFile.path() + " says the relocation completed but lacks blocks; it is damaged");
        }
        RelocatingDevice device = new RelocatingDevice(cache, source, mapFile, header, map);
        device.persist(header);
        if (header.state() == RelocationState.COMPLETE) {
            device.closeSource();
        }
        return device;
    }

    private static void checkMatches(MapFile file, MapHeader found, BlockGeometry geometry, String identity,
                                     String cacheId) throws IOException {
        String problem = null;
        if (found.geometry().size() != geometry.size()) {
            problem = "it was made for a disk of " + found.geometry().size() + " bytes, the source has " + geometry.size();
        } else if (found.geometry().blockSize() != geometry.blockSize()) {
            problem = "it uses blocks of " + found.geometry().blockSize() + " bytes, not " + geometry.blockSize()
                    + " (pass --block-size " + found.geometry().blockSize() + " to resume)";
        } else if (!found.sourceIdentity().equals(identity)) {
            problem = "it belongs to source '" + found.sourceIdentity() + "', not '" + identity + "'";
        } else if (!found.cacheId().equals(cacheId)) {
            problem = "it describes another cache file (id " + found.cacheId() + ", this cache has "
                    + (cacheId.isEmpty() ? "none" : cacheId) + "): its bits would claim data this cache lacks";
        }
        if (problem != null) {
            throw new IOException("map file " + file.path() + " does not match this relocation: " + problem
                    + ". Refusing to reuse it; move it and the cache away to start afresh.");
        }
    }

    // ---- state and control ------------------------------------------------------------------

    public RelocationStatus status() {
        MapHeader h = header;
        return new RelocationStatus(h.state(), h.trigger(), map.blockCount(), map.presentCount(),
                demandFetches.get(), backgroundFetches.get(), zeroBlocks.get());
    }

    /** Pre-copy rounds done since this process started (not counting the final one at activation). */
    public long precopyRounds() {
        return precopyRounds.get();
    }

    /** Pre-copied blocks forgotten because the source rewrote them (or lost track), since this process started. */
    public long precopyForgotten() {
        return precopyForgotten.get();
    }

    public BlockGeometry geometry() {
        return geometry;
    }

    public RelocationState state() {
        return header.state();
    }

    /** Runs {@code listener} once the relocation becomes active (at once if it already is). */
    public void onActivation(Runnable listener) {
        activationListeners.add(listener);
        if (state() == RelocationState.ACTIVE || state() == RelocationState.COMPLETE) {
            listener.run();
        }
    }

    /**
     * Runs {@code listener} once when background copy may start: at once when pre-copying or
     * active, else at activation.
     */
    public void whenCopying(Runnable listener) {
        AtomicBoolean ran = new AtomicBoolean();
        Runnable once = () -> {
            if (ran.compareAndSet(false, true)) {
                listener.run();
            }
        };
        copyListeners.add(once);
        if (state() != RelocationState.STANDBY) {
            once.run();
        }
    }

    /**
     * Leaves standby: from now on fetched blocks are kept and copied in the background. From
     * pre-copy, first asks the source which blocks it received writes for and forgets those (all
     * pre-copied blocks if the source cannot say). Durable before it returns. Does nothing if
     * already active.
     */
    public void activate(ActivationTrigger trigger) throws IOException {
        RelocationState before;
        long session;
        synchronized (persistLock) {
            before = header.state();
            session = header.trackingSession();
            switch (before) {
                case ACTIVE, COMPLETE -> {
                    return;
                }
                case STANDBY -> persist(header.with(RelocationState.ACTIVE, trigger));
                case PRECOPY -> {
                    Optional<DirtyBlocks> dirty;
                    try {
                        dirty = tracking(source()).dirtySince(session, header.trackingRound());
                        if (dirty.isEmpty()) {
                            log.warn("the source no longer knows write-tracking session {} (did it restart?); "
                                    + "fetching every pre-copied block again", Long.toHexString(session));
                        }
                    } catch (IOException e) {
                        log.warn("cannot ask the source which pre-copied blocks it rewrote ({}); fetching them all again",
                                e.getMessage());
                        dirty = Optional.empty();
                    }
                    long forgotten = forget(dirty);
                    persist(header.with(RelocationState.ACTIVE, trigger));
                    log.info("switch-over: {} pre-copied blocks kept, {} rewritten at the source forgotten",
                            map.presentCount(), forgotten);
                }
            }
        }
        log.info("relocation active (trigger: {})", trigger);
        activationListeners.forEach(Runnable::run);
        if (before == RelocationState.STANDBY) {
            copyListeners.forEach(Runnable::run);
        }
        if (before == RelocationState.PRECOPY) {
            try {
                tracking(source()).endTracking(session);
            } catch (IOException e) {
                log.debug("ending write-tracking session {}: {}", Long.toHexString(session), e.getMessage());
            }
        }
    }

    /**
     * One round of iterative pre-copy: asks the source which blocks were written since the last
     * round and forgets those copied already, so that the background copier copies them again.
     * When the source has lost the session (it restarted), starts a new one and forgets every
     * pre-copied block. Durable before it returns, and only then acknowledged to the source (by
     * the next round).
     *
     * @return how many pre-copied blocks were forgotten, or -1 when not pre-copying
     */
    public long refreshPrecopy() throws IOException {
        synchronized (persistLock) {
            if (header.state() != RelocationState.PRECOPY) {
                return -1;
            }
            SourceTracking tracking = tracking(source());
            Optional<DirtyBlocks> dirty = tracking.dirtySince(header.trackingSession(), header.trackingRound());
            MapHeader next;
            if (dirty.isPresent()) {
                next = header.tracking(header.trackingSession(), dirty.get().round());
            } else {
                log.warn("the source no longer knows write-tracking session {} (did it restart?); pre-copying afresh",
                        Long.toHexString(header.trackingSession()));
                // The new session starts before the bits are cleared: copies made after the clearing
                // read the source after it, so their blocks' later writes are recorded.
                next = header.tracking(tracking.startTracking(geometry.blockSize()), 0);
            }
            long forgotten = forget(dirty);
            persist(next);
            precopyRounds.incrementAndGet();
            log.debug("pre-copy round {}: {} blocks rewritten at the source, {} pre-copied blocks kept",
                    next.trackingRound(), forgotten, map.presentCount());
            return forgotten;
        }
    }

    /**
     * Forgets the pre-copied blocks {@code dirty} names, or all of them when it is empty. Copies
     * in flight are not installed after this (their source read may predate the answer). Call
     * with {@code persistLock} held, in pre-copy.
     */
    private long forget(Optional<DirtyBlocks> dirty) throws IOException {
        precopyEpoch.incrementAndGet();
        AtomicLong forgotten = new AtomicLong();
        long blocks = map.blockCount();
        if (blocks == 0) {
            return 0;
        }
        if (dirty.isEmpty()) {
            withBlocksLocked(0, blocks - 1, () -> {
                for (long b = map.nextPresent(0); b >= 0; b = map.nextPresent(b + 1)) {
                    if (map.markAbsent(b)) {
                        forgotten.incrementAndGet();
                    }
                }
            });
        } else {
            BitSet set = dirty.get().blocks();
            for (int b = set.nextSetBit(0); b >= 0 && b < blocks; b = set.nextSetBit(b + 1)) {
                long block = b;
                if (map.isPresent(block)) {
                    withBlocksLocked(block, block, () -> {
                        if (map.markAbsent(block)) {
                            forgotten.incrementAndGet();
                        }
                    });
                }
            }
        }
        clearedBits.addAndGet(forgotten.get());
        precopyForgotten.addAndGet(forgotten.get());
        return forgotten.get();
    }

    /**
     * Tells {@code listener} of every client read and write from now on (a copy strategy that
     * reacts to clients). Replaces the previous listener.
     */
    public void onAccess(AccessListener listener) {
        accessListener = requireNonNull(listener, "listener is null");
    }

    /** Reports an access of {@code [offset, offset + length)} unless the relocation is over. */
    private void report(long offset, long length, boolean write) {
        if (length > 0 && state() != RelocationState.COMPLETE) {
            long first = geometry.blockOf(offset);
            try {
                accessListener.onAccess(first, geometry.blockOf(offset + length - 1) - first + 1, write, 0);
            } catch (RuntimeException e) {
                // A strategy's mistake must not fail the client's request: the copy order is advice.
                log.debug("access listener failed: {}", e.toString());
            }
        }
    }

    /**
     * Fetches {@code block} for the background copier unless it is present. Demand fetches of the
     * same block share the transfer.
     */
    public void copyInBackground(long block) throws IOException {
        if (copying()) {
            ensurePresent(block, backgroundFetches);
        }
    }

    /**
     * Background copy of a run: fetches up to {@code maxBlocks} consecutive absent blocks from
     * {@code first} with one source read, skipping blocks that are present or being fetched.
     *
     * @return how many blocks were fetched (0 if {@code first} was present or taken)
     */
    public int copyRun(long first, int maxBlocks) throws IOException {
        return copyRun(first, maxBlocks, bytes -> { });
    }

    /**
     * {@link #copyRun(long, int)}, calling {@code received} with the run's length in bytes once
     * the source's data is in hand, before it is written to the cache: the transfer is over then,
     * and a caller that paces transfers need not count the local write as part of it.
     */
    public int copyRun(long first, int maxBlocks, LongConsumer received) throws IOException {
        if (!copying()) {
            return 0;
        }
        List<CompletableFuture<Void>> claimed = claim(first, maxBlocks);
        if (!claimed.isEmpty()) {
            fetchClaimed(first, claimed, backgroundFetches, received);
        }
        return claimed.size();
    }

    /**
     * Makes absent blocks that the source reports as reading zero present without transferring
     * them: the local range is zeroed (a hole in a sparse cache) and the blocks marked present.
     * Only once active: before, the source's allocation may change after it was asked.
     *
     * @return how many blocks were zeroed
     */
    public int installZeroRun(long first, int maxBlocks) throws IOException {
        if (state() != RelocationState.ACTIVE) {
            return 0;
        }
        List<CompletableFuture<Void>> claimed = claim(first, maxBlocks);
        int count = claimed.size();
        if (count == 0) {
            return 0;
        }
        long epoch = precopyEpoch.get();
        settle(first, claimed, () -> {
            install(first, count, epoch, block -> cache.writeZeroes(geometry.start(block), geometry.length(block), Set.of()),
                    () -> cache.writeZeroes(geometry.start(first),
                            geometry.start(first + count - 1) + geometry.length(first + count - 1) - geometry.start(first), Set.of()));
            zeroBlocks.addAndGet(count);
        });
        return count;
    }

    /**
     * Allocation status of the source, for the background copier to skip holes and zero ranges.
     * Empty once detached.
     */
    public List<Extent> sourceExtents(long offset, long length) throws IOException {
        if (state() != RelocationState.ACTIVE) {
            return List.of();
        }
        return backgroundSource().extents(offset, length);
    }

    public boolean isPresent(long block) {
        return map.isPresent(block);
    }

    /**
     * Has the cache allocate the absent blocks that lie wholly in {@code [offset, end)}, ahead of
     * the copy that will write them ({@link BlockDevice#allocate}): present blocks are left as
     * they are, so a hole that stands for zeroes stays a hole. Only a hint to the cache.
     */
    public void allocateAbsent(long offset, long end) throws IOException {
        long block = geometry.blockOf(offset);
        if (geometry.start(block) < offset) {
            block++;
        }
        long last = geometry.blockOf(end - 1);
        if (geometry.start(last) + geometry.length(last) > end) {
            last--;
        }
        while (block <= last) {
            long first = map.nextAbsent(block);
            if (first < 0 || first > last) {
                return;
            }
            long present = map.nextPresent(first);
            long after = present < 0 || present > last ? last + 1 : present;
            cache.allocate(geometry.start(first), geometry.start(after - 1) + geometry.length(after - 1) - geometry.start(first));
            block = after;
        }
    }

    /** The first absent block at or after {@code from}, or -1. */
    public long nextAbsent(long from) {
        return map.nextAbsent(from);
    }

    /**
     * Detaches from the source if every block is present: persists a complete map, then closes
     * the source. Returns whether the relocation is complete.
     */
    public boolean complete() throws IOException {
        synchronized (persistLock) {
            if (header.state() == RelocationState.COMPLETE) {
                return true;
            }
            if (header.state() != RelocationState.ACTIVE || !map.isComplete()) {
                return false;
            }
            persist(header.with(RelocationState.COMPLETE, header.trigger()));
        }
        closeSource();
        log.info("relocation complete: {} blocks local, source detached", map.blockCount());
        return true;
    }

    // ---- BlockDevice ------------------------------------------------------------------------

    @Override
    public long size() {
        return geometry.size();
    }

    @Override
    public io.reloc.api.BlockSizes blockSizes() {
        return cache.blockSizes();
    }

    @Override
    public boolean isReadOnly() {
        return cache.isReadOnly();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        Ranges.check(offset, dst.remaining(), size());
        // Before the fetch, so that a strategy can start reading ahead while this read waits.
        report(offset, dst.remaining(), false);
        switch (state()) {
            case STANDBY, PRECOPY -> source().read(offset, dst);
            case ACTIVE -> {
                if (dst.hasRemaining()) {
                    ensureRangePresent(geometry.blockOf(offset), geometry.blockOf(offset + dst.remaining() - 1), demandFetches);
                }
                cache.read(offset, dst);
            }
            case COMPLETE -> cache.read(offset, dst);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        int length = src.remaining();
        modify(offset, length, false, () -> cache.write(offset, src, false));
        if (fua) {
            flush();
        }
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        Set<ZeroFlag> local = EnumSet.noneOf(ZeroFlag.class);
        local.addAll(flags);
        local.remove(ZeroFlag.FUA);
        modify(offset, length, flags.contains(ZeroFlag.FAST_ONLY), () -> cache.writeZeroes(offset, length, local));
        if (flags.contains(ZeroFlag.FUA)) {
            flush();
        }
    }

    /**
     * Trim is advisory: whole blocks are zeroed locally and need no fetch; the parts of blocks at
     * either end are trimmed only if those blocks are local (fetching them to drop data would be
     * absurd), so they keep reading as before.
     */
    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        Ranges.check(offset, length, size());
        checkWritable();
        if (length == 0) {
            return;
        }
        activateOnWrite();
        if (state() == RelocationState.COMPLETE) {
            cache.trim(offset, length, false);
        } else {
            long first = geometry.blockOf(offset);
            long last = geometry.blockOf(offset + length - 1);
            long from = geometry.covers(offset, length, first) ? geometry.start(first) : geometry.start(first + 1);
            long to = geometry.covers(offset, length, last) ? offset + length : geometry.start(last);
            if (from < to) {
                long fromBlock = geometry.blockOf(from);
                long toBlock = geometry.blockOf(to - 1);
                withBlocksLocked(fromBlock, toBlock, () -> {
                    cache.writeZeroes(from, to - from, Set.of());
                    for (long b = fromBlock; b <= toBlock; b++) {
                        map.markPresent(b);
                    }
                });
            }
            trimIfPresent(first, offset, length);
            if (last != first) {
                trimIfPresent(last, offset, length);
            }
        }
        if (fua) {
            flush();
        }
    }

    private void trimIfPresent(long block, long offset, long length) throws IOException {
        if (geometry.covers(offset, length, block) || !map.isPresent(block)) {
            return;
        }
        long start = Math.max(offset, geometry.start(block));
        long end = Math.min(offset + length, geometry.start(block) + geometry.length(block));
        cache.writeZeroes(start, end - start, Set.of());
    }

    @Override
    public void flush() throws IOException {
        if (state() == RelocationState.COMPLETE) {
            cache.flush();
            return;
        }
        synchronized (persistLock) {
            persist(header);
        }
    }

    @Override
    public void cache(long offset, long length) throws IOException {
        Ranges.check(offset, length, size());
        if (state() == RelocationState.ACTIVE && length > 0) {
            ensureRangePresent(geometry.blockOf(offset), geometry.blockOf(offset + length - 1), demandFetches);
        }
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        Ranges.check(offset, length, size());
        return switch (state()) {
            case STANDBY, PRECOPY -> source().extents(offset, length);
            case COMPLETE -> cache.extents(offset, length);
            case ACTIVE -> {
                // Report one run of blocks with the same presence: local runs from the cache,
                // absent runs from the source, since absent bytes read as the source has them.
                long end = offset + length;
                long block = geometry.blockOf(offset);
                boolean present = map.isPresent(block);
                long runEnd = geometry.start(block) + geometry.length(block);
                while (runEnd < end && map.isPresent(geometry.blockOf(runEnd)) == present) {
                    runEnd += geometry.length(geometry.blockOf(runEnd));
                }
                long runLength = Math.min(runEnd, end) - offset;
                yield present ? cache.extents(offset, runLength) : source().extents(offset, runLength);
            }
        };
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            closeSource();
            cache.close();
        }
    }

    // ---- machinery --------------------------------------------------------------------------

    /** A local change of {@code [offset, offset + length)}: partial edge blocks are fetched first. */
    private void modify(long offset, long length, boolean fastOnly, IoAction change) throws IOException {
        Ranges.check(offset, length, size());
        checkWritable();
        if (length == 0) {
            return;
        }
        activateOnWrite();
        if (state() == RelocationState.COMPLETE) {
            change.run();
            return;
        }
        report(offset, length, true);
        long first = geometry.blockOf(offset);
        long last = geometry.blockOf(offset + length - 1);
        for (long edge : first == last ? new long[] {first} : new long[] {first, last}) {
            if (!geometry.covers(offset, length, edge) && !map.isPresent(edge)) {
                if (fastOnly) {
                    throw new BlockDeviceException(BlockError.NOT_SUPPORTED,
                            "zeroing part of a block not yet fetched needs a fetch, which is not fast");
                }
                ensurePresent(edge, demandFetches);
            }
        }
        withBlocksLocked(first, last, () -> {
            change.run();
            for (long b = first; b <= last; b++) {
                map.markPresent(b);
            }
        });
    }

    private void activateOnWrite() throws IOException {
        if (state() == RelocationState.STANDBY || state() == RelocationState.PRECOPY) {
            activate(ActivationTrigger.FIRST_WRITE);
        }
    }

    private void checkWritable() throws BlockDeviceException {
        if (cache.isReadOnly()) {
            throw new BlockDeviceException(BlockError.READ_ONLY, "the relocated disk is read-only");
        }
    }

    /** Makes {@code block} local, fetching it unless present or already being fetched. */
    private void ensurePresent(long block, AtomicLong counter) throws IOException {
        ensureRangePresent(block, block, counter);
    }

    /**
     * Makes blocks {@code first..last} local. Adjacent absent blocks are fetched with one source
     * read (up to {@link #MAX_RUN_BYTES}), so a large read over a WAN costs one round trip, not one
     * per block; blocks someone else is fetching are waited for, not fetched twice.
     */
    private void ensureRangePresent(long first, long last, AtomicLong counter) throws IOException {
        long block = first;
        while (block <= last) {
            if (map.isPresent(block)) {
                block++;
                continue;
            }
            List<CompletableFuture<Void>> claimed = claim(block, last - block + 1);
            if (claimed.isEmpty()) {
                CompletableFuture<Void> theirs = inFlight.get(block);
                if (theirs != null) {
                    await(theirs);
                }
                continue; // present now, or the other fetch failed and this one may try
            }
            fetchClaimed(block, claimed, counter, bytes -> { });
            // Not past the run: a pre-copy answer may have dropped it; present blocks are skipped above.
        }
    }

    /**
     * Claims up to {@code maxBlocks} consecutive absent blocks from {@code first} that nobody else
     * is fetching; each claim is a future others wait on. Stops at the first block that is
     * present or already claimed.
     */
    private List<CompletableFuture<Void>> claim(long first, long maxBlocks) {
        long limit = Math.min(maxBlocks, Math.max(1, MAX_RUN_BYTES / geometry.blockSize()));
        List<CompletableFuture<Void>> claimed = new ArrayList<>();
        for (long block = first; claimed.size() < limit && block < map.blockCount() && !map.isPresent(block); block++) {
            CompletableFuture<Void> mine = new CompletableFuture<>();
            if (inFlight.putIfAbsent(block, mine) != null) {
                break;
            }
            if (map.isPresent(block)) { // installed between the check and the claim
                inFlight.remove(block, mine);
                mine.complete(null);
                break;
            }
            claimed.add(mine);
        }
        return claimed;
    }

    /** Fetches claimed blocks with one source read and installs those still absent. */
    private void fetchClaimed(long first, List<CompletableFuture<Void>> claimed, AtomicLong counter, LongConsumer received)
            throws IOException {
        int count = claimed.size();
        long start = geometry.start(first);
        long end = geometry.start(first + count - 1) + geometry.length(first + count - 1);
        // Noted before the source is read: an answer about writes applied after this drops the copy.
        long epoch = precopyEpoch.get();
        settle(first, claimed, () -> {
            // Direct, so that the socket reads into it and the cache writes from it without copies.
            ByteBuffer data = buffers.acquire((int) (end - start));
            try {
                try {
                    source(counter).read(start, data);
                } catch (BlockDeviceException e) {
                    throw new BlockDeviceException(BlockError.IO, "cannot fetch blocks " + first + ".." + (first + count - 1)
                            + " from the source: " + e.getMessage(), e);
                }
                data.flip();
                received.accept(end - start);
                // No client asked for background blocks: the cache may keep them from crowding out
                // what clients read, and from costing memory per block copied.
                boolean uncached = counter == backgroundFetches;
                install(first, count, epoch, block -> writeFetched(geometry.start(block), data.slice((int) (geometry.start(block) - start),
                        geometry.length(block)), uncached), () -> writeFetched(start, data, uncached));
            } finally {
                // A source read returns only once nothing writes into the buffer any more.
                buffers.release(data);
            }
            counter.addAndGet(count);
        });
    }

    private void writeFetched(long offset, ByteBuffer data, boolean uncached) throws IOException {
        if (uncached) {
            cache.writeUncached(offset, data);
        } else {
            cache.write(offset, data, false);
        }
    }

    /**
     * Runs {@code work} for claimed blocks, then settles the claims: those waiting on them wake
     * (with the failure, if it failed) and the blocks may be claimed again.
     */
    private void settle(long first, List<CompletableFuture<Void>> claimed, IoAction work) throws IOException {
        try {
            work.run();
            claimed.forEach(f -> f.complete(null));
        } catch (IOException | RuntimeException e) {
            claimed.forEach(f -> f.completeExceptionally(e));
            throw e;
        } finally {
            for (int i = 0; i < claimed.size(); i++) {
                inFlight.remove(first + i, claimed.get(i));
            }
        }
    }

    /**
     * Writes fetched data for blocks {@code first..first+count-1} under their locks, skipping any
     * that a local write made present meanwhile (it wins: I3). One write for the whole run when
     * nothing was skipped.
     */
    private void install(long first, int count, long epoch, BlockAction writeBlock, IoAction writeAll) throws IOException {
        withBlocksLocked(first, first + count - 1, () -> {
            if (precopyEpoch.get() != epoch) {
                return; // the source reported writes since this copy read it: it may be stale
            }
            boolean allAbsent = true;
            for (long block = first; block < first + count; block++) {
                allAbsent &= !map.isPresent(block);
            }
            if (allAbsent) {
                writeAll.run();
                for (long block = first; block < first + count; block++) {
                    map.markPresent(block);
                }
                return;
            }
            for (long block = first; block < first + count; block++) {
                if (!map.isPresent(block)) {
                    writeBlock.run(block);
                    map.markPresent(block);
                }
            }
        });
    }

    @FunctionalInterface
    private interface BlockAction {
        void run(long block) throws IOException;
    }

    private static void await(CompletableFuture<Void> fetch) throws IOException {
        try {
            fetch.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new BlockDeviceException(BlockError.IO, io.getMessage(), io);
            }
            throw e;
        }
    }

    private void withBlocksLocked(long first, long last, IoAction action) throws IOException {
        int from = stripe(first);
        int count = (int) Math.min(STRIPES, last - first + 1);
        // Lock in ascending stripe order whatever the range, so two writers cannot deadlock.
        boolean[] needed = new boolean[STRIPES];
        for (int i = 0; i < count; i++) {
            needed[(from + i) % STRIPES] = true;
        }
        int locked = 0;
        try {
            for (; locked < STRIPES; locked++) {
                if (needed[locked]) {
                    stripes[locked].lock();
                }
            }
            action.run();
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                if (needed[i]) {
                    stripes[i].unlock();
                }
            }
        }
    }

    /** Whether background copy runs: active, or pre-copying. */
    private boolean copying() {
        RelocationState s = state();
        return s == RelocationState.ACTIVE || s == RelocationState.PRECOPY;
    }

    private static int stripe(long block) {
        return (int) (block % STRIPES);
    }

    /** Writes the map durably; call with {@code persistLock} held (or during construction). */
    private void persist(MapHeader newHeader) throws IOException {
        long clearedBefore = clearedBits.get();
        long presentBefore = map.presentCount();
        long[] bits = map.snapshot();
        if (newHeader.equals(header) && presentBefore == persistedPresent && clearedBefore == persistedCleared) {
            cache.flush();
            return;
        }
        cache.flush();
        mapFile.write(newHeader, bits);
        header = newHeader;
        persistedPresent = presentBefore;
        persistedCleared = clearedBefore;
    }

    private BlockDevice source() throws BlockDeviceException {
        BlockDevice current = source;
        if (current == null) {
            throw new BlockDeviceException(BlockError.IO, "the relocation has detached from its source");
        }
        return current;
    }

    /** The lane a fetch uses: background copy has its own when one was given. */
    private BlockDevice source(AtomicLong counter) throws BlockDeviceException {
        return counter == backgroundFetches ? backgroundSource() : source();
    }

    private BlockDevice backgroundSource() throws BlockDeviceException {
        BlockDevice lane = backgroundSource;
        return lane != null && source != null ? lane : source();
    }

    /**
     * The counts of bytes background fetches took on the link, when background copy has a lane
     * of its own that counts them; null otherwise (a shared lane also carries the clients' fetches).
     */
    public LinkBytes backgroundLinkBytes() {
        return backgroundSource instanceof LinkBytes lane ? lane : null;
    }

    /**
     * Where to ask for background fetches' replies to be paced, when background copy has a lane
     * of its own; null otherwise (pacing a shared lane would hold back the clients' fetches).
     */
    public io.reloc.core.net.ReplyPacing backgroundReplyPacing() {
        return backgroundSource instanceof io.reloc.core.net.ReplyPacing lane ? lane : null;
    }

    /**
     * Gives background copy its own connection to the source (same disk), so that a client's
     * demand fetch never queues behind background transfers on one connection. Closed with the
     * source.
     */
    public void separateBackgroundLane(BlockDevice lane) throws IOException {
        requireNonNull(lane, "lane is null");
        if (lane.size() != geometry.size()) {
            throw new IOException("the background lane has " + lane.size() + " bytes, the disk " + geometry.size());
        }
        backgroundSource = lane;
    }

    /**
     * Gives up the source before the relocation is complete (a forced detach): the map is made
     * durable, the source closed; absent blocks then read as EIO, never as wrong data, and writes
     * still work. Not persisted: a restarted proxy connects to the source again.
     */
    public void abandonSource() throws IOException {
        flush();
        closeSource();
        log.warn("detached from the source with {} of {} blocks present: absent blocks now read as EIO",
                map.presentCount(), map.blockCount());
    }

    /** Whether the engine still has a source (false once complete or after a forced detach). */
    public boolean hasSource() {
        return source != null;
    }

    private void closeSource() throws IOException {
        BlockDevice current = source;
        BlockDevice lane = backgroundSource;
        source = null;
        backgroundSource = null;
        try {
            if (lane != null) {
                lane.close();
            }
        } finally {
            if (current != null) {
                current.close();
            }
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }
}
