package io.reloc.core.relocation;

import io.reloc.api.Extent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What the background copier knows of the source's allocation (holes, zero ranges), learned a
 * region at a time as it walks the disk, so memory stays bounded and the source is asked once per
 * region rather than once per block. A source that cannot say is treated as all data.
 * Not thread safe: the copier's thread owns it.
 */
final class SourceExtents {
    private static final Logger log = LoggerFactory.getLogger(SourceExtents.class);
    /** How far ahead allocation status is asked for at once. */
    static final long REGION_BYTES = 256L << 20;

    /** Asks the source about a range; returns a prefix of it (at least one extent) or nothing. */
    @FunctionalInterface
    interface Query {
        List<Extent> extents(long offset, long length) throws IOException;
    }

    /** {@code [start, end)} all data, or all reading as zero. */
    record Span(long start, long end, boolean zero) {}

    private final Query query;
    private final long size;
    private final Deque<Span> spans = new ArrayDeque<>();

    SourceExtents(Query query, long size) {
        this.query = requireNonNull(query, "query is null");
        this.size = size;
    }

    /** The span containing {@code offset} (which must be below the disk size). */
    Span at(long offset) {
        while (!spans.isEmpty() && spans.peekFirst().end() <= offset) {
            spans.pollFirst();
        }
        if (spans.isEmpty() || spans.peekFirst().start() > offset) {
            learn(offset);
        }
        return spans.peekFirst();
    }

    private void learn(long offset) {
        spans.clear();
        long end = Math.min(size, offset + REGION_BYTES);
        long at = offset;
        try {
            while (at < end) {
                List<Extent> batch = query.extents(at, end - at);
                if (batch.isEmpty()) {
                    break;
                }
                for (Extent extent : batch) {
                    long length = Math.min(extent.length(), end - at);
                    add(new Span(at, at + length, extent.zero()));
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
            add(new Span(at, end, false));
        }
    }

    /** Adds a span, merging it with the last one when they are of the same kind. */
    private void add(Span span) {
        Span last = spans.peekLast();
        if (last != null && last.zero() == span.zero() && last.end() == span.start()) {
            spans.pollLast();
            spans.addLast(new Span(last.start(), span.end(), span.zero()));
        } else {
            spans.addLast(span);
        }
    }
}
