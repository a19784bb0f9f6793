package io.reloc.strategy.prefetch;

import io.reloc.api.BlockRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Finds sequential read streams among a disk's reads and says what to read ahead of each.
 *
 * <p>Several streams are followed at once (a VM copying a file while another reads a log, two
 * clients of one disk), up to a fixed number. A read that continues no stream starts a candidate;
 * the next read that continues the candidate confirms it as a stream with a first window sized
 * from the reads ({@link WindowPolicy#initial}), to be read ahead at once. When the reader enters
 * the last window read ahead — where Linux puts its asynchronous read-ahead marker — the window
 * grows ({@link WindowPolicy#next}) and the next window is read ahead of the old one, so a steady
 * reader stays one to two windows behind the read-ahead and never waits. A read that skips forward past the read-ahead is a miss: the window halves and the
 * stream follows from there. Reads that continue no stream age the streams of their client; a
 * stream passed over for long halves its window, and goes when the window falls below the
 * minimum, so a reader that turned random stops costing read-ahead.
 *
 * <p>Reads that arrive slightly out of order (several requests in flight) still count as
 * sequential: a read anywhere from a window behind the stream's end to the end of its read-ahead
 * continues it. Clients are told apart when the caller knows them ({@code client != 0}); an
 * unknown client matches any stream, so interleaved streams are then told apart by position
 * alone, as Linux does for one file read by several threads.
 *
 * <p>Writes are not followed: a whole-block write needs no fetch, so reading ahead of a writer
 * would only waste the link. Thread safe.
 */
public final class SequentialStreams {
    /** Passed-over reads, per stream in the table, after which an unfollowed stream shrinks. */
    private static final int PATIENCE_PER_STREAM = 4;

    private final WindowPolicy policy;
    private final int maxStreams;
    private final long blockCount;
    /** Least recently used first. */
    private final List<Stream> streams = new ArrayList<>();

    /** One followed stream (or a candidate: window 0). */
    private static final class Stream {
        final long client;
        long next;
        long aheadEnd;
        int window;
        int passedOver;

        Stream(long client, long next) {
            this.client = client;
            this.next = next;
            this.aheadEnd = next;
        }

        boolean confirmed() {
            return window > 0;
        }
    }

    /** A stream as the caller sees it, for tests and status. */
    public record StreamState(long client, long next, long aheadEnd, int window) {}

    public SequentialStreams(WindowPolicy policy, int maxStreams, long blockCount) {
        this.policy = requireNonNull(policy, "policy is null");
        if (maxStreams < 1 || blockCount < 0) {
            throw new IllegalArgumentException("at least one stream and a disk of >= 0 blocks expected: " + maxStreams
                    + ", " + blockCount);
        }
        this.maxStreams = maxStreams;
        this.blockCount = blockCount;
    }

    /**
     * Follows a read of blocks {@code first..first+count-1} by {@code client} (0: unknown).
     *
     * @return the blocks to read ahead now, if any
     */
    public synchronized Optional<BlockRange> read(long first, long count, long client) {
        if (count < 1 || first < 0 || first >= blockCount) {
            return Optional.empty();
        }
        long end = Math.min(first + count, blockCount);
        Stream s = find(first, count, client);
        if (s == null) {
            passOver(client);
            start(client, end);
            return Optional.empty();
        }
        touch(s);
        s.passedOver = 0;
        long ahead = Math.max(s.next, s.aheadEnd);
        if (s.confirmed() && first > ahead) {
            // Skipped past the read-ahead: a strided or jumping reader. Follow it with less.
            s.window = policy.shrink(s.window);
            s.next = end;
            s.aheadEnd = end;
            if (!s.confirmed()) {
                return Optional.empty();
            }
            return readAhead(s, s.window);
        }
        s.next = Math.max(s.next, end);
        if (!s.confirmed()) {
            s.window = policy.initial(count);
            return readAhead(s, s.window);
        }
        if (s.aheadEnd - s.next < s.window) {
            // The reader entered the last window read ahead: read the next, larger one.
            s.window = policy.next(s.window);
            return readAhead(s, s.window);
        }
        return Optional.empty();
    }

    /** The streams followed now, least recently used first. */
    public synchronized List<StreamState> streams() {
        return streams.stream().map(s -> new StreamState(s.client, s.next, s.aheadEnd, s.window)).toList();
    }

    /** Reads one window ahead, from where the last read-ahead ended. */
    private Optional<BlockRange> readAhead(Stream s, int window) {
        long from = Math.max(s.aheadEnd, s.next);
        long to = Math.min(blockCount, from + window);
        if (to <= from) {
            return Optional.empty();
        }
        s.aheadEnd = to;
        return Optional.of(new BlockRange(from, to - from));
    }

    /** The stream this read continues, or null. */
    private Stream find(long first, long count, long client) {
        Stream best = null;
        for (Stream s : streams) {
            if (client != 0 && s.client != 0 && s.client != client) {
                continue;
            }
            long behind = Math.max(count, s.window);
            long ahead = Math.max(s.next, s.aheadEnd);
            // A candidate accepts the next read or one a read early (requests in flight); a
            // stream anything up to its read-ahead, plus one window more (a skip, a miss).
            long reach = s.confirmed() ? ahead + s.window : s.next + count;
            if (first >= s.next - behind && first <= reach && (best == null || distance(s, first) < distance(best, first))) {
                best = s;
            }
        }
        return best;
    }

    private static long distance(Stream s, long first) {
        return Math.abs(first - s.next);
    }

    private void start(long client, long next) {
        if (streams.size() >= maxStreams) {
            // Evict the least recently used candidate, or else the least recently used stream.
            Stream victim = streams.stream().filter(s -> !s.confirmed()).findFirst().orElse(streams.getFirst());
            streams.remove(victim);
        }
        streams.add(new Stream(client, next));
    }

    /** A read continued none of the streams: each of the client's streams waited once more. */
    private void passOver(long client) {
        int patience = PATIENCE_PER_STREAM * maxStreams;
        streams.removeIf(s -> {
            if (!s.confirmed() || (client != 0 && s.client != 0 && s.client != client) || ++s.passedOver < patience) {
                return false;
            }
            s.passedOver = 0;
            s.window = policy.shrink(s.window);
            return !s.confirmed();
        });
    }

    private void touch(Stream s) {
        streams.remove(s);
        streams.add(s);
    }
}
