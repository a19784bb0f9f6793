package io.reloc.core.priority;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Threads are raised by name, at once and when they appear later, and lowered again at the end; others are left alone. */
class RealTimeThreadsTest {
    /** The policy of the one thread of this process with that name, or -1 while there is none. */
    private static int policyOf(String name) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).strip().equals(name)) {
                        return RealTimeThreads.policy(task);
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        }
        return -1;
    }

    private static Thread parked(String name, CountDownLatch end) {
        CountDownLatch started = new CountDownLatch(1);
        Thread thread = Thread.ofPlatform().daemon().name(name).start(() -> {
            started.countDown();
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            started.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return thread;
    }

    @Test
    void threadsNamedSoAreRaisedNowAndLaterAndOthersAreNot() throws Exception {
        String refused = RealTimeThreads.probe();
        if (refused != null) {
            System.out.println("this host refuses real-time priority: " + refused);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RealTimeThreads.start(List.of("rt-")));
            assertTrue(e.getMessage().contains(refused), e.getMessage());
            return;
        }
        CountDownLatch end = new CountDownLatch(1);
        parked("rt-early", end);
        parked("other-early", end);
        RealTimeThreads threads = RealTimeThreads.start(List.of("rt-"));
        try {
            assertEquals(RealTimePriority.SCHED_FIFO, policyOf("rt-early"), "raised when started");
            assertTrue(threads.raised() >= 1, "counted: " + threads.raised());
            parked("rt-late", end);
            long giveUp = System.nanoTime() + 5_000_000_000L;
            while (policyOf("rt-late") != RealTimePriority.SCHED_FIFO && System.nanoTime() < giveUp) {
                Thread.sleep(50);
            }
            assertEquals(RealTimePriority.SCHED_FIFO, policyOf("rt-late"), "raised by a later scan");
            assertEquals(RealTimePriority.SCHED_OTHER, policyOf("other-early"), "another name keeps its priority");
            assertEquals(RealTimePriority.SCHED_OTHER, policyOf("reloc-realtime"), "the keeper itself stays normal");
            threads.close();
            assertEquals(RealTimePriority.SCHED_OTHER, policyOf("rt-early"), "closing lowers what was raised");
            assertEquals(RealTimePriority.SCHED_OTHER, policyOf("rt-late"), "closing lowers what was raised");
            assertEquals(-1, policyOf("reloc-realtime"), "the keeper has ended");
        } finally {
            threads.close();
            end.countDown();
        }
    }
}
