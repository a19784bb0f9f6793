package io.reloc.bench.workload;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadsTest {
    private static final long SEED = Long.getLong("seed", new SplittableRandom().nextLong());

    static {
        System.out.println("WorkloadsTest seed " + SEED + " (replay with -Dseed=" + SEED + ")");
    }

    private static List<Request> take(Workload w, int n) {
        List<Request> requests = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            requests.add(w.next());
        }
        return requests;
    }

    @Test
    void everyWorkloadIsTheSameForTheSameSeedAndAnotherForAnother() {
        long size = 64L << 20;
        for (String name : Workloads.NAMES) {
            List<Request> a = take(Workloads.create(name, size, SEED), 5000);
            assertEquals(a, take(Workloads.create(name, size, SEED), 5000), name + ": same seed, same requests (seed " + SEED + ")");
            if (!name.equals("sequential")) {
                assertNotEquals(a, take(Workloads.create(name, size, SEED + 1), 5000), name + ": another seed, other requests");
            }
        }
    }

    @Test
    void requestsAreWholePagesInsideTheDiskEvenOnTinyAndOddDisks() {
        for (long size : new long[] {4096, 5 * 4096 + 512, 1L << 20, (3L << 20) + 512, 300L << 20}) {
            for (String name : Workloads.NAMES) {
                if (name.equals("vm") && size < (1 << 20)) {
                    continue;  // the demo's mix needs a MiB
                }
                for (Request r : take(Workloads.create(name, size, SEED), 3000)) {
                    String where = name + " on " + size + " bytes: " + r + " (seed " + SEED + ")";
                    if (r.kind() == Request.Kind.FLUSH) {
                        assertEquals(0, r.length(), where);
                        continue;
                    }
                    assertEquals(0, r.offset() % Workload.PAGE, where);
                    assertEquals(0, r.length() % Workload.PAGE, where);
                    assertTrue(r.length() > 0 && r.offset() + r.length() <= size, where);
                }
            }
        }
    }

    @Test
    void theMixesHaveTheirShape() {
        long size = 256L << 20;
        Map<Request.Kind, Integer> kernel = kinds(take(Workloads.create("kernel", size, SEED), 20_000));
        assertTrue(kernel.get(Request.Kind.WRITE) > 6000 && kernel.get(Request.Kind.READ) > 9000 && kernel.get(Request.Kind.FLUSH) > 200,
                "kernel: " + kernel);
        Map<Request.Kind, Integer> db = kinds(take(Workloads.create("database", size, SEED), 20_000));
        assertTrue(db.get(Request.Kind.READ) > 10_000 && db.get(Request.Kind.WRITE) > 5000 && db.get(Request.Kind.FLUSH) > 500, "db: " + db);

        List<Request> scan = take(Workloads.create("sequential", size, SEED), 100);
        for (int i = 1; i < scan.size(); i++) {
            Request prev = scan.get(i - 1);
            Request r = scan.get(i);
            assertTrue(r.offset() == prev.offset() + prev.length() || r.offset() == 0, "one after the other: " + prev + ", " + r);
        }
    }

    @Test
    void zipfConcentratesOnAFewRegions() {
        Map<Long, Integer> hits = new HashMap<>();
        for (Request r : take(Workloads.create("zipf", 256L << 20, SEED), 20_000)) {
            hits.merge(r.offset() / (ZipfWorkload.REGION_PAGES * Workload.PAGE), 1, Integer::sum);
        }
        List<Integer> counts = new ArrayList<>(hits.values());
        counts.sort((a, b) -> b - a);
        int top = counts.stream().limit(26).mapToInt(Integer::intValue).sum();  // 10 % of 256 regions
        assertTrue(top > 20_000 * 0.5, "the hottest 10 % of regions get " + top + " of 20000 requests (seed " + SEED + ")");
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workloads.create("fio", 1 << 20, 1));
        assertTrue(e.getMessage().contains("zipf, sequential, kernel, database, vm"), e.getMessage());
    }

    private static Map<Request.Kind, Integer> kinds(List<Request> requests) {
        Map<Request.Kind, Integer> kinds = new HashMap<>();
        for (Request.Kind k : Request.Kind.values()) {
            kinds.put(k, 0);
        }
        requests.forEach(r -> kinds.merge(r.kind(), 1, Integer::sum));
        return kinds;
    }
}
