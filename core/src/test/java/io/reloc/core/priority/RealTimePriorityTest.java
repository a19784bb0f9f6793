package io.reloc.core.priority;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The calling thread, and only it, moves to the real-time class, or is told why not. */
class RealTimePriorityTest {
    /** The scheduling policy of the calling thread, as the kernel reports it. */
    static int policyOfCurrentThread() throws IOException {
        return RealTimeThreads.policy(Path.of("/proc/thread-self"));
    }

    @Test
    void theThreadIsRaisedOrToldWhyNotAndThreadsItStartsAreNot() throws Exception {
        AtomicReference<String> refused = new AtomicReference<>();
        AtomicInteger raised = new AtomicInteger(-1);
        AtomicInteger child = new AtomicInteger(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                assertEquals(RealTimePriority.SCHED_OTHER, policyOfCurrentThread(), "a new thread starts in the normal class");
                refused.set(RealTimePriority.raiseCurrentThread());
                raised.set(policyOfCurrentThread());
                Thread started = Thread.ofPlatform().start(() -> {
                    try {
                        child.set(policyOfCurrentThread());
                    } catch (IOException e) {
                        failure.set(e);
                    }
                });
                started.join();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        System.out.println("raising a thread: " + (refused.get() == null ? "raised" : refused.get()));
        if (refused.get() == null) {
            assertEquals(RealTimePriority.SCHED_FIFO, raised.get(), "said raised, so the kernel must report SCHED_FIFO");
        } else {
            assertEquals(RealTimePriority.SCHED_OTHER, raised.get(), "refused: " + refused.get());
            assertTrue(refused.get().contains("not permitted") || refused.get().contains("not available"), refused.get());
        }
        assertEquals(RealTimePriority.SCHED_OTHER, child.get(), "a thread the raised one starts stays normal");
        assertEquals(RealTimePriority.SCHED_OTHER, policyOfCurrentThread(), "the caller of the test is untouched");
    }

    @Test
    void aVirtualThreadIsRefusedRatherThanRaisingItsCarrier() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread.ofVirtual().start(() -> thrown.set(assertThrows(IllegalStateException.class, RealTimePriority::raiseCurrentThread)))
                .join();
        assertTrue(thrown.get().getMessage().contains("carrier"), String.valueOf(thrown.get()));
    }
}
