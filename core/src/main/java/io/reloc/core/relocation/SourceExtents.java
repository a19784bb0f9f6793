package io.reloc.core.relocation;

import io.reloc.api.Extent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * What the background copier knows of the source's allocation (holes, zero ranges), learned a
 * region at a time where the copier needs it, so the source is asked once per region rather than
 * once per block. What was learned is kept, so an order that goes back and forth over the disk
 * (hot regions first, scattered) does not ask again about a range it asked about: each question
 * is a round trip on the copier's thread, during which nothing is sent. A source that cannot say
 * is treated as all data.
 *
 * <p>Memory is bounded: beyond {@link #MAX_SPANS} spans (and what one answer of the source adds),
 * what was learned is forgotten and learned again where needed. The source's allocation can
 * change while it is in use (pre-copy), so the copier calls {@link #forget} whenever it starts
 * over. Not thread safe: the copier's thread owns it.
 */
final class SourceExtents {
    private static final Logger log = LoggerFactory.getLogger(SourceExtents.class);
    /**
     * How far ahead allocation status is asked for at once. Each question stops the copier for a
     * round trip, during which the link runs dry: at 1 Gbit/s and 50 ms, 256 MiB regions cost a
     * 1 GiB relocation 0.25 s. An answer may cover less (the source's limit); the rest is asked for
     * in turn.
     */
    static final long REGION_BYTES = 1L << 30;
    /** Most spans kept (a few MiB), beyond what one answer brings. */
    static final int MAX_SPANS = 1 << 16;

    /** Asks the source about a range; returns a prefix of it (at least one extent) or nothing. */
    @FunctionalInterface
    interface Query {
        List<Extent> extents(long offset, long length) throws IOException;
    }

    /** {@code [start, end)} all data, or all reading as zero. */
    record Span(long start, long end, boolean zero) {}

    private final Query query;
    private final long size;
    private final int maxSpans;
    /** Known spans by start; they do not overlap. */
    private final NavigableMap<Long, Span> spans = new TreeMap<>();

    SourceExtents(Query query, long size) {
        this(query, size, MAX_SPANS);
    }

    SourceExtents(Query query, long size, int maxSpans) {
        this.query = requireNonNull(query, "query is null");
        this.size = size;
        this.maxSpans = maxSpans;
    }

    /** The span containing {@code offset} (which must be below the disk size). */
    Span at(long offset) {
        Span known = known(offset);
        if (known == null) {
            learn(offset);
            known = known(offset);
        }
        return known;
    }

    /** Forgets all that was learned: the source may have changed since. */
    void forget() {
        spans.clear();
    }

    /** How many spans are kept now. */
    int spanCount() {
        return spans.size();
    }

    private Span known(long offset) {
        Map.Entry<Long, Span> entry = spans.floorEntry(offset);
        return entry != null && entry.getValue().end() > offset ? entry.getValue() : null;
    }

    /** Learns from {@code offset} up to the next known span or {@link #REGION_BYTES}, whichever is first. */
    private void learn(long offset) {
        if (spans.size() >= maxSpans) {
            spans.clear();
        }
        Long next = spans.higherKey(offset);
        long end = Math.min(next == null ? size : next, Math.min(size, offset + REGION_BYTES));
        long at = offset;
        Span last = null;
        try {
            while (at < end) {
                if (at > offset && spans.size() >= maxSpans) {
                    return; // enough for now; the rest is asked about when needed
                }
                List<Extent> batch = query.extents(at, end - at);
                if (batch.isEmpty()) {
                    break;
                }
                for (Extent extent : batch) {
                    long length = Math.min(extent.length(), end - at);
                    last = add(last, new Span(at, at + length, extent.zero()));
                    at += length;
                    if (at >= end) {
                        break;
                    }
                }
            }
        } catch (IOException e) {
            log.debug("allocation status of the source unavailable at {}: {}; copying as data", at, e.getMessage());
        }
        if (at < end) {
            add(last, new Span(at, end, false));
        }
    }

    /** Adds a span after {@code last} (the span added before, or null), merging them when they are of the same kind. */
    private Span add(Span last, Span span) {
        Span added = span;
        if (last != null && last.zero() == span.zero() && last.end() == span.start()) {
            added = new Span(last.start(), span.end(), span.zero());
        }
        spans.put(added.start(), added);
        return added;
    }
}
