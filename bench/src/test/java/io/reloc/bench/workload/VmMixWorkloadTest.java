package io.reloc.bench.workload;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VmMixWorkloadTest {
    @Test
    void requestsAreWholePagesInsideTheDiskAndRepeatable() {
        long seed = new SplittableRandom().nextLong();
        System.out.println("VmMixWorkloadTest seed " + seed);
        long size = (3L << 20) + 512;  // not a whole number of pages
        List<Request> first = ops(new VmMixWorkload(size, seed), 20_000);
        int writes = 0;
        for (Request op : first) {
            assertEquals(0, op.offset() % Workload.PAGE, op + " (seed " + seed + ")");
            assertEquals(0, op.length() % Workload.PAGE, op + " (seed " + seed + ")");
            assertTrue(op.length() > 0 && op.offset() >= 0 && op.offset() + op.length() <= size, op + " (seed " + seed + ")");
            writes += op.kind() == Request.Kind.WRITE ? 1 : 0;
        }
        assertTrue(writes > 1000 && writes < 15_000, writes + " writes (seed " + seed + ")");
        assertEquals(first, ops(new VmMixWorkload(size, seed), 20_000), "same seed, same requests");
    }

    @Test
    void writesAreRememberedPageByPageAndTheLastOneWins() {
        WriteLog writes = new WriteLog(7);
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

    private static List<Request> ops(Workload workload, int n) {
        List<Request> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ops.add(workload.next());
        }
        return ops;
    }
}
