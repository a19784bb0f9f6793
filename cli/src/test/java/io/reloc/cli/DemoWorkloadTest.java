package io.reloc.cli;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoWorkloadTest {
    @Test
    void requestsAreWholePagesInsideTheDiskAndRepeatable() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("DemoWorkloadTest seed " + seed);
        long size = (3L << 20) + 512;  // not a whole number of pages
        List<DemoWorkload.Op> first = ops(new DemoWorkload(size, seed), 20_000);
        int writes = 0;
        for (DemoWorkload.Op op : first) {
            assertEquals(0, op.offset() % DemoWorkload.PAGE, op + " (seed " + seed + ")");
            assertEquals(0, op.length() % DemoWorkload.PAGE, op + " (seed " + seed + ")");
            assertTrue(op.length() > 0 && op.offset() >= 0 && op.offset() + op.length() <= size, op + " (seed " + seed + ")");
            writes += op.write() ? 1 : 0;
        }
        assertTrue(writes > 1000 && writes < 15_000, writes + " writes (seed " + seed + ")");
        assertEquals(first, ops(new DemoWorkload(size, seed), 20_000), "same seed, same requests");
    }

    @Test
    void writesAreRememberedPageByPageAndTheLastOneWins() {
        DemoWrites writes = new DemoWrites(7);
        byte[] a = writes.next(4096, 8192);
        byte[] b = writes.next(8192, 4096);
        byte[] disk = new byte[16384 + 100];  // a partial page at the end is never written
        writes.apply(0, disk, disk.length);

        byte[] expected = new byte[disk.length];
        System.arraycopy(a, 0, expected, 4096, 4096);
        System.arraycopy(b, 0, expected, 8192, 4096);
        assertArrayEquals(expected, disk);
        assertEquals(2, writes.pages());

        byte[] tail = new byte[4096];
        writes.apply(8192, tail, tail.length);
        assertArrayEquals(b, tail, "applied from an offset");
    }

    private static List<DemoWorkload.Op> ops(DemoWorkload workload, int n) {
        List<DemoWorkload.Op> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ops.add(workload.next());
        }
        return ops;
    }
}
