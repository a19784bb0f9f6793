package io.reloc.bench.workload;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadDriverTest {
    private static final int DISK = 4 << 20;

    /** An in-memory disk behind any number of connections; {@code hook} runs as each request arrives. */
    private static final class MemoryDisk implements Connections {
        final byte[] bytes = new byte[DISK];
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        volatile BiConsumer<String, Long> hook = (op, offset) -> { };

        @Override
        public BlockClient take() {
            return new BlockClient() {
                @Override
                public void read(long offset, byte[] dst) {
                    arrive("read", offset);
                    synchronized (bytes) {
                        System.arraycopy(bytes, (int) offset, dst, 0, dst.length);
                    }
                    leave("read", offset);
                }

                @Override
                public void write(long offset, byte[] src) {
                    arrive("write", offset);
                    synchronized (bytes) {
                        System.arraycopy(src, 0, bytes, (int) offset, src.length);
                    }
                    leave("write", offset);
                }

                @Override
                public void flush() {
                    arrive("flush", 0);
                    leave("flush", 0);
                }
            };
        }

        private void arrive(String op, long offset) {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            events.add(op + "@" + offset + " start");
            hook.accept(op, offset);
        }

        private void leave(String op, long offset) {
            events.add(op + "@" + offset + " end");
            inFlight.decrementAndGet();
        }

        @Override
        public void give(BlockClient client) {
        }
    }

    private static Workload script(Request... requests) {
        Iterator<Request> it = Arrays.asList(requests).iterator();
        return () -> it.hasNext() ? it.next() : Request.read(3 << 20, 4096);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aSlowRequestDoesNotHoldBackTheOnesAfterIt() throws Exception {
        MemoryDisk disk = new MemoryDisk();
        CountDownLatch othersArrived = new CountDownLatch(5);
        List<Boolean> releasedByOthers = new ArrayList<>();
        disk.hook = (op, offset) -> {
            if (offset == 0) {
                await(othersArrived);  // the first read is answered only once five later requests have arrived
                releasedByOthers.add(othersArrived.getCount() == 0);
            } else {
                othersArrived.countDown();
            }
        };
        WorkloadDriver driver = new WorkloadDriver(script(Request.read(0, 4096)), new WriteLog(1), 1000);
        driver.run(disk, StallProbe.NONE, new Latencies(), () -> driver.requests() >= 10);
        assertEquals(List.of(true), releasedByOthers, "later requests were sent while the first was in flight");
        assertTrue(disk.maxInFlight.get() >= 2, "requests overlapped: " + disk.maxInFlight.get());
        assertEquals(20, disk.events.size(), "every request answered before run returned: " + disk.events);
    }

    @Test
    void aRequestWaitsForAnEarlierOneOfItsChunk() throws Exception {
        MemoryDisk disk = new MemoryDisk();
        CountDownLatch farReadArrived = new CountDownLatch(1);
        disk.hook = (op, offset) -> {
            if (op.equals("write")) {
                await(farReadArrived);  // the write is held until a later request of another chunk has gone past it
            } else if (offset == 1 << 20) {
                farReadArrived.countDown();
            }
        };
        // The read at 8 KiB overlaps the write's chunk (not its pages); the read at 1 MiB does not.
        Workload w = script(Request.write(0, 4096), Request.read(8192, 4096), Request.read(1 << 20, 4096));
        WorkloadDriver driver = new WorkloadDriver(w, new WriteLog(1), 1000);
        driver.run(disk, StallProbe.NONE, new Latencies(), () -> driver.requests() >= 3);
        List<String> events = List.copyOf(disk.events);
        assertTrue(events.indexOf("read@1048576 start") < events.indexOf("write@0 end"), "another chunk's read overtook the write: " + events);
        assertTrue(events.indexOf("write@0 end") < events.indexOf("read@8192 start"), "the same chunk's read waited for the write: " + events);
    }

    @Test
    void concurrentRequestsLeaveTheDiskAsTheWriteLogSays() throws Exception {
        long seed = System.nanoTime();
        System.out.println("WorkloadDriverTest seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        MemoryDisk disk = new MemoryDisk();
        SplittableRandom delays = random.split();
        disk.hook = (op, offset) -> {
            int micros;
            synchronized (delays) {
                micros = delays.nextInt(2000);
            }
            try {
                TimeUnit.MICROSECONDS.sleep(micros);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        // Few pages, many writes: requests of a chunk are often in flight together.
        SplittableRandom requests = random.split();
        Workload w = () -> {
            long offset = requests.nextInt(64) * 4096L;
            int length = 4096 * (1 + requests.nextInt(8));
            return requests.nextInt(3) == 0 ? Request.read(offset, length) : Request.write(offset, length);
        };
        WriteLog writes = new WriteLog(seed);
        WorkloadDriver driver = new WorkloadDriver(w, writes, 5000);
        driver.run(disk, StallProbe.NONE, new Latencies(), () -> driver.requests() >= 2000);
        byte[] expected = new byte[DISK];
        writes.apply(0, expected, DISK);
        assertTrue(disk.maxInFlight.get() >= 2, "requests overlapped: " + disk.maxInFlight.get());
        assertArrayEquals(expected, disk.bytes, "seed " + seed);
    }

    @Test
    void aReadStallsWhenPartOfItsRangeIsAbsentWhenSent() throws Exception {
        MemoryDisk disk = new MemoryDisk();
        // Blocks of 64 KiB; those from 1 MiB on are absent. The probe's counter keeps moving, as
        // other reads' fetches would: it must not make a local read a stall.
        AtomicInteger counter = new AtomicInteger();
        StallProbe probe = new StallProbe() {
            @Override
            public long demandFetches() {
                return counter.incrementAndGet();
            }

            @Override
            public boolean absent(long offset, int length) {
                return offset + length > 1 << 20;
            }
        };
        Workload w = script(Request.read(0, 4096), Request.read((1 << 20) - 4096, 8192), Request.write(2 << 20, 4096),
                Request.read(2 << 20, 4096), Request.read(4096, 4096));
        Latencies reads = new Latencies();
        WorkloadDriver driver = new WorkloadDriver(w, new WriteLog(1), 1000);
        driver.run(disk, probe, reads, () -> driver.requests() >= 5);
        assertEquals(4, reads.count());
        assertEquals(2, reads.stalls(), "the read across 1 MiB and the read at 2 MiB");
    }

    @Test
    void closedLoopSendsOneRequestAtATimeAndCountsTheCounter() throws Exception {
        MemoryDisk disk = new MemoryDisk();
        AtomicInteger counter = new AtomicInteger();
        disk.hook = (op, offset) -> {
            if (offset >= 1 << 20) {
                counter.incrementAndGet();  // this read fetched
            }
        };
        StallProbe probe = new StallProbe() {
            @Override
            public long demandFetches() {
                return counter.get();
            }

            @Override
            public boolean absent(long offset, int length) {
                return true;
            }
        };
        Workload w = script(Request.read(0, 4096), Request.read(1 << 20, 4096), Request.read(4096, 4096));
        Latencies reads = new Latencies();
        WorkloadDriver driver = new WorkloadDriver(w, new WriteLog(1), 1000, WorkloadDriver.Mode.CLOSED_LOOP);
        driver.run(disk, probe, reads, () -> driver.requests() >= 3);
        assertEquals(1, disk.maxInFlight.get());
        assertEquals(1, reads.stalls(), "only the read that moved the counter");
    }
}
