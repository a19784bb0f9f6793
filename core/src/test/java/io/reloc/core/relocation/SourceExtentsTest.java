package io.reloc.core.relocation;

import io.reloc.api.Extent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The copier's knowledge of the source's allocation against a fake source whose layout is known:
 * answers are right wherever asked, in any order, and a range is asked about once.
 */
class SourceExtentsTest {
    private static final long MIB = 1 << 20;

    /**
     * A source of alternating data and zero extents of the given lengths, answering at most
     * {@code perAnswer} extents per question (a prefix, as NBD allows), counting questions.
     */
    private static final class FakeSource implements SourceExtents.Query {
        final long[] starts;
        final boolean[] zero;
        final long size;
        final int perAnswer;
        int questions;

        FakeSource(long[] lengths, int perAnswer) {
            this.starts = new long[lengths.length];
            this.zero = new boolean[lengths.length];
            long at = 0;
            for (int i = 0; i < lengths.length; i++) {
                starts[i] = at;
                zero[i] = i % 2 == 1;
                at += lengths[i];
            }
            this.size = at;
            this.perAnswer = perAnswer;
        }

        int indexOf(long offset) {
            int low = 0;
            int high = starts.length - 1;
            while (low < high) {
                int mid = (low + high + 1) >>> 1;
                if (starts[mid] <= offset) {
                    low = mid;
                } else {
                    high = mid - 1;
                }
            }
            return low;
        }

        long end(int i) {
            return i + 1 < starts.length ? starts[i + 1] : size;
        }

        @Override
        public List<Extent> extents(long offset, long length) {
            questions++;
            List<Extent> answer = new ArrayList<>();
            long at = offset;
            for (int i = indexOf(offset); i < starts.length && at < offset + length && answer.size() < perAnswer; i++) {
                long n = Math.min(end(i), offset + length) - at;
                answer.add(zero[i] ? Extent.hole(n) : Extent.data(n));
                at += n;
            }
            return answer;
        }
    }

    private static FakeSource randomSource(SplittableRandom random, int extents, long largest, int perAnswer) {
        long[] lengths = new long[extents];
        for (int i = 0; i < extents; i++) {
            lengths[i] = 4096 * (1 + random.nextLong(largest / 4096));
        }
        return new FakeSource(lengths, perAnswer);
    }

    private static void assertRight(FakeSource source, SourceExtents.Span span, long offset) {
        assertTrue(span.start() <= offset && offset < span.end(), span + " does not hold " + offset);
        // Every byte of the span is of its kind at the source.
        for (int i = source.indexOf(span.start()); i < source.starts.length && source.starts[i] < span.end(); i++) {
            assertEquals(source.zero[i], span.zero(), span + " against the source's extent at " + source.starts[i]);
        }
    }

    @Test
    void answersRightInAnyOrder() {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("SourceExtentsTest seed " + seed + " (replay with -Dreloc.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        FakeSource source = randomSource(random, 2000, 2 * MIB, 50);
        SourceExtents extents = new SourceExtents(source, source.size);
        for (int i = 0; i < 5000; i++) {
            long offset = random.nextLong(source.size);
            assertRight(source, extents.at(offset), offset);
        }
    }

    /** Hot regions first: jumping back to a range asked about before asks the source nothing. */
    @Test
    void asksAboutARangeOnce() {
        FakeSource source = new FakeSource(new long[] {64 * MIB, 64 * MIB, 64 * MIB, 64 * MIB}, 1000);
        SourceExtents extents = new SourceExtents(source, source.size);
        extents.at(172 * MIB);
        extents.at(50 * MIB);
        int asked = source.questions;
        assertEquals(2, asked, "one question for the range from 172 MiB to the end, one from 50 MiB to 172 MiB");
        for (long offset : new long[] {173 * MIB, 60 * MIB, 255 * MIB, 50 * MIB, 171 * MIB, 200 * MIB}) {
            assertRight(source, extents.at(offset), offset);
        }
        assertEquals(asked, source.questions, "ranges known already were asked about again");
        extents.at(10 * MIB);
        assertEquals(asked + 1, source.questions);
    }

    @Test
    void forgetsWhenTold() {
        FakeSource source = new FakeSource(new long[] {MIB, MIB}, 1000);
        SourceExtents extents = new SourceExtents(source, source.size);
        extents.at(0);
        extents.at(MIB);
        assertEquals(1, source.questions);
        extents.forget();
        assertEquals(0, extents.spanCount());
        assertTrue(extents.at(MIB).zero());
        assertEquals(2, source.questions);
    }

    @Test
    void keepsAtMostTheBoundAndOneAnswer() {
        long seed = Long.getLong("reloc.seed", System.nanoTime());
        System.out.println("SourceExtentsTest bound seed " + seed + " (replay with -Dreloc.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        int perAnswer = 64;
        FakeSource source = randomSource(random, 20_000, 64 << 10, perAnswer);
        int bound = 500;
        SourceExtents extents = new SourceExtents(source, source.size, bound);
        for (int i = 0; i < 5000; i++) {
            long offset = random.nextLong(source.size);
            assertRight(source, extents.at(offset), offset);
            assertTrue(extents.spanCount() <= bound + perAnswer, extents.spanCount() + " spans kept, seed " + seed);
        }
    }

    @Test
    void aSourceThatCannotSayIsAllData() {
        SourceExtents extents = new SourceExtents((offset, length) -> {
            throw new IOException("no block status");
        }, 10 * MIB);
        SourceExtents.Span span = extents.at(3 * MIB);
        assertFalse(span.zero());
        assertEquals(3 * MIB, span.start());
        assertEquals(10 * MIB, span.end());
    }
}
