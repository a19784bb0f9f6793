package io.reloc.nbd.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pace of a group's replies, on a clock of the test's, and the groups a server keeps. */
class ReplyPacerTest {
    private static final long MS = 1_000_000;

    /** A clock that sleeping moves; writes are recorded with the time they began. */
    private static final class Clock {
        long now;
        final List<long[]> writes = new ArrayList<>();

        ReplyPacer pacer(long bytesPerSecond) {
            return new ReplyPacer(bytesPerSecond, () -> now, deadline -> now = Math.max(now, deadline));
        }

        long write(ByteBuffer slice) {
            writes.add(new long[] {now, slice.remaining()});
            slice.position(slice.limit());
            return 1;
        }
    }

    @Test
    void slicesLeaveAtTheRate() throws IOException {
        Clock clock = new Clock();
        ReplyPacer pacer = clock.pacer(1_000_000); // 1 MB/s: 4 KiB slices, 4.096 ms each
        ByteBuffer reply = ByteBuffer.allocate(10 * 4096 + 100);
        long writing = pacer.write(new ByteBuffer[] {reply}, 1, clock::write);
        assertEquals(11, clock.writes.size());
        for (int i = 0; i < clock.writes.size(); i++) {
            assertEquals(i * 4_096_000L, clock.writes.get(i)[0], "slice " + i);
            assertEquals(i < 10 ? 4096 : 100, clock.writes.get(i)[1], "slice " + i);
        }
        assertEquals(11, writing, "only the writes' own time is returned");
        assertEquals(reply.capacity(), reply.position());
        assertEquals(reply.capacity(), reply.limit());
    }

    @Test
    void slicesAreAQuarterMillisecondAtTheRateUpTo250MbitThenLongerUpToAMillisecond() {
        Clock clock = new Clock();
        assertEquals(ReplyPacer.MIN_SLICE, clock.pacer(12_500_000).sliceBytes(), "100 Mbit/s: 3 KB, raised to 4 KiB");
        assertEquals(7_812, clock.pacer(31_250_000).sliceBytes(), "250 Mbit/s: a quarter millisecond");
        assertEquals(31_250, clock.pacer(62_500_000).sliceBytes(), "500 Mbit/s: half a millisecond");
        assertEquals(125_000, clock.pacer(125_000_000).sliceBytes(), "1 Gbit/s: a millisecond");
        assertEquals(500_000, clock.pacer(500_000_000).sliceBytes(), "4 Gbit/s: still a millisecond");
        assertEquals(ReplyPacer.MAX_SLICE, clock.pacer(12_500_000_000L).sliceBytes(), "100 Gbit/s");
    }

    @Test
    void severalBuffersShareThePace() throws IOException {
        Clock clock = new Clock();
        ReplyPacer pacer = clock.pacer(1_000_000);
        ByteBuffer a = ByteBuffer.allocate(4096);
        ByteBuffer b = ByteBuffer.allocate(4096);
        pacer.write(new ByteBuffer[] {a, b}, 2, clock::write);
        assertEquals(0, clock.writes.get(0)[0]);
        assertEquals(4_096_000L, clock.writes.get(1)[0]);
    }

    @Test
    void repliesSentAtOnceTakeTheirShare() throws IOException {
        Clock clock = new Clock();
        ReplyPacer pacer = clock.pacer(1_000_000);
        pacer.debit(2048); // a demand reply went out at time 0
        pacer.write(new ByteBuffer[] {ByteBuffer.allocate(4096)}, 1, clock::write);
        assertEquals(2_048_000L, clock.writes.getFirst()[0], "the paced slice waits for the demand reply's time");
    }

    @Test
    void idleTimeIsNotSavedUpForABurst() throws IOException {
        Clock clock = new Clock();
        ReplyPacer pacer = clock.pacer(1_000_000);
        clock.now = 1000 * MS;
        pacer.write(new ByteBuffer[] {ByteBuffer.allocate(3 * 4096)}, 1, clock::write);
        assertEquals(1000 * MS, clock.writes.get(0)[0]);
        assertEquals(1000 * MS + 4_096_000L, clock.writes.get(1)[0]);
        assertEquals(1000 * MS + 8_192_000L, clock.writes.get(2)[0]);
    }

    @Test
    void aLateWakeUpIsCaughtUpOnTheNextSlice() throws IOException {
        Clock clock = new Clock();
        // Each sleep overshoots by 1 ms, as a busy machine's timers do.
        ReplyPacer pacer = new ReplyPacer(1_000_000, () -> clock.now, deadline -> clock.now = deadline + MS);
        pacer.write(new ByteBuffer[] {ByteBuffer.allocate(20 * 4096)}, 1, clock::write);
        long last = clock.writes.getLast()[0];
        assertTrue(last <= 19 * 4_096_000L + MS, "the pace is kept over the reply: last slice at " + last / 1e6 + " ms");
    }

    @Test
    void slowRatesAreRaisedToTheFloorAndLimitsAreRestoredOnFailure() {
        Clock clock = new Clock();
        ReplyPacer pacer = clock.pacer(1);
        assertEquals(ReplyPacer.MIN_RATE, pacer.rate());
        pacer.rate(50_000_000);
        assertEquals(50_000_000, pacer.rate());
        ByteBuffer reply = ByteBuffer.allocate(100_000);
        assertThrows(IOException.class, () -> pacer.write(new ByteBuffer[] {reply}, 1, slice -> {
            throw new IOException("connection reset");
        }));
        assertEquals(100_000, reply.limit());
        assertEquals(0, reply.position());
    }

    @Test
    void groupsAreByHostAndNumberAndEndWithTheirLastConnection() {
        ReplyPacers pacers = new ReplyPacers();
        ReplyPacer a = pacers.join("10.0.0.1", 7, 1_000_000);
        ReplyPacer a2 = pacers.join("10.0.0.1", 7, 2_000_000);
        assertSame(a, a2, "one group for the host's connections with the same number");
        assertEquals(2_000_000, a.rate(), "the last rate told holds for the group");
        ReplyPacer b = pacers.join("10.0.0.1", 8, 1_000_000);
        ReplyPacer c = pacers.join("10.0.0.2", 7, 1_000_000);
        assertNotSame(a, b);
        assertNotSame(a, c);
        assertEquals(3, pacers.groups());
        pacers.leave("10.0.0.1", a);
        assertEquals(3, pacers.groups(), "one connection of the group is left");
        pacers.leave("10.0.0.1", a);
        pacers.leave("10.0.0.1", b);
        pacers.leave("10.0.0.2", c);
        assertEquals(0, pacers.groups());
        assertNotSame(a, pacers.join("10.0.0.1", 7, 1_000_000), "a group joined again starts afresh");
    }

    @Test
    void anUnpacedReplyCountsAgainstItsHostsGroupsOnly() {
        ReplyPacers pacers = new ReplyPacers();
        ReplyPacer mine = pacers.join("10.0.0.1", 7, 1_000_000);
        ReplyPacer theirs = pacers.join("10.0.0.2", 7, 1_000_000);
        pacers.debit("10.0.0.1", 1_000_000); // a second's worth at this host's rate
        pacers.debit("10.0.0.3", 1_000_000); // no group: nothing to do
        long now = System.nanoTime();
        assertTrue(mine.reserve(1) - now > 900 * MS, "this host's group waits for the demand reply");
        assertTrue(theirs.reserve(1) - now < 100 * MS, "another host's group does not");
    }
}
