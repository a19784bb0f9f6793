package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.Ranges;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

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
    private final AtomicLong demandFetches = new AtomicLong();
    private final AtomicLong backgroundFetches = new AtomicLong();
    private final AtomicLong zeroBlocks = new AtomicLong();

    private volatile BlockDevice source;
    private volatile BlockDevice backgroundSource;
    private volatile MapHeader header;
    private long persistedPresent = -1;

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
        requireNonNull(source, "source is null");
        requireNonNull(sourceIdentity, "sourceIdentity is null");
        var existing = requireNonNull(mapFile, "mapFile is null").read();
        BlockGeometry geometry = new BlockGeometry(source.size(), blockSize);
        MapHeader header;
        PresenceMap map;
        if (existing.isPresent()) {
            header = existing.get().header();
            checkMatches(mapFile, header, geometry, sourceIdentity, cacheId);
            map = new PresenceMap(geometry.blockCount(), existing.get().bits());
            if (activate && header.state() == RelocationState.STANDBY) {
                header = header.with(RelocationState.ACTIVE, ActivationTrigger.AT_START);
            }
        } else {
            header = activate
                    ? new MapHeader(geometry, sourceIdentity, cacheId, RelocationState.ACTIVE, ActivationTrigger.AT_START)
                    : new MapHeader(geometry, sourceIdentity, cacheId, RelocationState.STANDBY, ActivationTrigger.NONE);
            map = new PresenceMap(geometry.blockCount());
        }
        return start(cache, source, mapFile, header, map);
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

    public BlockGeometry geometry() {
        return geometry;
    }

    public RelocationState state() {
        return header.state();
    }

    /** Runs {@code listener} once the relocation becomes active (at once if it already is). */
    public void onActivation(Runnable listener) {
        activationListeners.add(listener);
        if (state() != RelocationState.STANDBY) {
            listener.run();
        }
    }

    /**
     * Leaves standby: from now on fetched blocks are kept and copied in the background. Durable
     * before it returns. Does nothing if already active.
     */
    public void activate(ActivationTrigger trigger) throws IOException {
        synchronized (persistLock) {
            if (header.state() != RelocationState.STANDBY) {
                return;
            }
            persist(header.with(RelocationState.ACTIVE, trigger));
        }
        log.info("relocation active (trigger: {})", trigger);
        activationListeners.forEach(Runnable::run);
    }

    /**
     * Fetches {@code block} for the background copier unless it is present. Demand fetches of the
     * same block share the transfer.
     */
    public void copyInBackground(long block) throws IOException {
        if (state() == RelocationState.ACTIVE) {
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
        if (state() != RelocationState.ACTIVE) {
            return 0;
        }
        List<CompletableFuture<Void>> claimed = claim(first, maxBlocks);
        if (!claimed.isEmpty()) {
            fetchClaimed(first, claimed, backgroundFetches);
        }
        return claimed.size();
    }

    /**
     * Makes absent blocks that the source reports as reading zero present without transferring
     * them: the local range is zeroed (a hole in a sparse cache) and the blocks marked present.
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
        settle(first, claimed, () -> {
            install(first, count, block -> cache.writeZeroes(geometry.start(block), geometry.length(block), Set.of()),
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
        switch (state()) {
            case STANDBY -> source().read(offset, dst);
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
            case STANDBY -> source().extents(offset, length);
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
        if (state() == RelocationState.STANDBY) {
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
            fetchClaimed(block, claimed, counter);
            block += claimed.size();
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
    private void fetchClaimed(long first, List<CompletableFuture<Void>> claimed, AtomicLong counter) throws IOException {
        int count = claimed.size();
        long start = geometry.start(first);
        long end = geometry.start(first + count - 1) + geometry.length(first + count - 1);
        settle(first, claimed, () -> {
            ByteBuffer data = ByteBuffer.allocate((int) (end - start));
            try {
                source(counter).read(start, data);
            } catch (BlockDeviceException e) {
                throw new BlockDeviceException(BlockError.IO, "cannot fetch blocks " + first + ".." + (first + count - 1)
                        + " from the source: " + e.getMessage(), e);
            }
            data.flip();
            install(first, count, block -> cache.write(geometry.start(block), data.slice((int) (geometry.start(block) - start),
                    geometry.length(block)), false), () -> cache.write(start, data, false));
            counter.addAndGet(count);
        });
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
    private void install(long first, int count, BlockAction writeBlock, IoAction writeAll) throws IOException {
        withBlocksLocked(first, first + count - 1, () -> {
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

    private static int stripe(long block) {
        return (int) (block % STRIPES);
    }

    /** Writes the map durably; call with {@code persistLock} held (or during construction). */
    private void persist(MapHeader newHeader) throws IOException {
        long presentBefore = map.presentCount();
        long[] bits = map.snapshot();
        if (newHeader.equals(header) && presentBefore == persistedPresent) {
            cache.flush();
            return;
        }
        cache.flush();
        mapFile.write(newHeader, bits);
        header = newHeader;
        persistedPresent = presentBefore;
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
