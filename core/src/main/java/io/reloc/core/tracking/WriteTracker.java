package io.reloc.core.tracking;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The write-tracking sessions of one exported disk, at the source of a hybrid pre-copy. Each
 * session, started by a pre-copying proxy, records the blocks written since it started and hands
 * them out round by round under the protocol of {@link SourceTracking}.
 *
 * <p>Per session it keeps two bitmaps of one bit per block (writes not yet reported, and the last
 * report until it is acknowledged), so memory is bounded like a presence map (I6); at most
 * {@value #MAX_SESSIONS} sessions live at once, the least recently used one is dropped for a new
 * one (its proxy then learns that the session is gone and distrusts what it copied).
 *
 * <p>Sessions live in memory only: a restarted source knows none, which is what tells a proxy
 * that writes may have escaped the record. Thread safe; {@link #record} takes no lock.
 */
public final class WriteTracker {
    private static final Logger log = LoggerFactory.getLogger(WriteTracker.class);
    /** Most sessions of one disk; each is one proxy pre-copying it. */
    public static final int MAX_SESSIONS = 16;

    private final long size;
    private final Map<Long, Session> sessions = new ConcurrentHashMap<>();
    private final SecureRandom ids = new SecureRandom();
    private final AtomicLong clock = new AtomicLong();

    /** @param size bytes of the tracked disk */
    public WriteTracker(long size) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        this.size = size;
    }

    /**
     * Starts a session recording writes per block of {@code granularity} bytes.
     *
     * @throws IllegalArgumentException unless the granularity is a power of two from 512 to 2^30
     *     and the disk has at most 2^31 - 1 such blocks
     */
    public long start(int granularity) {
        if (granularity < 512 || granularity > (1 << 30) || Integer.bitCount(granularity) != 1) {
            throw new IllegalArgumentException("tracking granularity must be a power of two from 512 to 1G: " + granularity);
        }
        long blocks = (size + granularity - 1) / granularity;
        if (blocks > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a disk of " + size + " bytes has too many blocks of " + granularity
                    + " bytes to track; use a larger block size");
        }
        synchronized (sessions) {
            while (sessions.size() >= MAX_SESSIONS) {
                Session oldest = sessions.values().stream().min(Comparator.comparingLong(s -> s.lastUsed)).orElseThrow();
                sessions.remove(oldest.id);
                log.warn("write tracking: dropping the least recently used session {} to make room (at most {} at once)",
                        Long.toHexString(oldest.id), MAX_SESSIONS);
            }
            long id;
            do {
                id = ids.nextLong() & Long.MAX_VALUE;
            } while (id == 0 || sessions.containsKey(id));
            Session session = new Session(id, Integer.numberOfTrailingZeros(granularity), (int) blocks, clock.incrementAndGet());
            sessions.put(id, session);
            log.info("write tracking: session {} started ({} blocks of {} bytes)", Long.toHexString(id), blocks, granularity);
            return id;
        }
    }

    /**
     * The blocks written since round {@code acknowledgedRound}'s answer; see
     * {@link SourceTracking#dirtySince}.
     *
     * @return empty when the session is unknown, or when the acknowledgement does not fit it (it is
     *     then dropped: its asker has lost track of it)
     */
    public Optional<DirtyBlocks> dirty(long id, int acknowledgedRound) {
        Session session = sessions.get(id);
        if (session == null) {
            return Optional.empty();
        }
        session.lastUsed = clock.incrementAndGet();
        Optional<DirtyBlocks> answer = session.dirty(acknowledgedRound);
        if (answer.isEmpty()) {
            sessions.remove(id, session);
            log.warn("write tracking: session {} acknowledged round {}, which it was never sent; session dropped",
                    Long.toHexString(id), acknowledgedRound);
        }
        return answer;
    }

    /** Ends a session; returns whether it existed. */
    public boolean end(long id) {
        boolean existed = sessions.remove(id) != null;
        if (existed) {
            log.info("write tracking: session {} ended", Long.toHexString(id));
        }
        return existed;
    }

    /** Sessions alive now. */
    public int sessions() {
        return sessions.size();
    }

    /**
     * Records that {@code [offset, offset + length)} was written. Call after the write completed
     * (its data visible to reads), also when it failed part way.
     */
    public void record(long offset, long length) {
        if (length <= 0 || offset < 0 || offset >= size || sessions.isEmpty()) {
            return;
        }
        for (Session s : sessions.values()) {
            s.record(offset, Math.min(length, size - offset));
        }
    }

    private static final class Session {
        final long id;
        final int shift;
        final int blocks;
        /** Written and not yet reported; set by writers without a lock. */
        final AtomicLongArray fresh;
        /** The last answer, kept until it is acknowledged. Guarded by this. */
        final BitSet sent = new BitSet();
        /** Answers given. Guarded by this. */
        int round;
        volatile long lastUsed;

        Session(long id, int shift, int blocks, long now) {
            this.id = id;
            this.shift = shift;
            this.blocks = blocks;
            this.fresh = new AtomicLongArray((blocks + 63) / 64);
            this.lastUsed = now;
        }

        void record(long offset, long length) {
            if (length <= 0) {
                return;
            }
            long first = offset >>> shift;
            long last = Math.min(blocks - 1L, (offset + length - 1) >>> shift);
            for (long word = first >>> 6; word <= last >>> 6; word++) {
                long from = Math.max(first, word << 6);
                long to = Math.min(last, (word << 6) + 63);
                long mask = (to - from == 63 ? -1L : ((1L << (to - from + 1)) - 1)) << (from & 63);
                fresh.accumulateAndGet((int) word, mask, (a, b) -> a | b);
            }
        }

        synchronized Optional<DirtyBlocks> dirty(int acknowledged) {
            if (acknowledged == round) {
                sent.clear();
            } else if (acknowledged != round - 1) {
                return Optional.empty();
            }
            // Writes racing with this loop land in this answer or in the next one, never in neither.
            for (int word = 0; word < fresh.length(); word++) {
                long bits = fresh.getAndSet(word, 0);
                while (bits != 0) {
                    int bit = Long.numberOfTrailingZeros(bits);
                    sent.set(word * 64 + bit);
                    bits &= bits - 1;
                }
            }
            round++;
            return Optional.of(new DirtyBlocks(round, (BitSet) sent.clone()));
        }
    }
}
