package io.reloc.core.priority;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Puts a thread in Linux's real-time class ({@code SCHED_FIFO}, at its lowest priority), so that
 * it runs as soon as it is woken instead of waiting for a core that ordinary threads keep busy.
 * {@code SCHED_RESET_ON_FORK} keeps the threads it starts out of the class. Needs root or
 * {@code CAP_SYS_NICE}; the kernel's real-time throttling (by default 95% of each second) keeps
 * a busy real-time thread from starving the machine.
 */
public final class RealTimePriority {
    public static final int SCHED_OTHER = 0;
    public static final int SCHED_FIFO = 1;
    private static final int SCHED_RESET_ON_FORK = 0x40000000;
    private static final int EPERM = 1;
    private static final int ESRCH = 3;

    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SCHED_SETSCHEDULER = bindSetScheduler();

    private RealTimePriority() {
    }

    /**
     * Raises the calling thread; returns null when it is raised, or why it is not (it then keeps
     * its priority). Refused for a virtual thread: it would raise whichever carrier it is on.
     */
    public static String raiseCurrentThread() {
        if (Thread.currentThread().isVirtual()) {
            throw new IllegalStateException("a virtual thread's priority is its carrier's");
        }
        return raise(0);
    }

    /** Raises the thread with kernel id {@code tid} of this process; null, or why not. */
    public static String raise(int tid) {
        return set(tid, SCHED_FIFO | SCHED_RESET_ON_FORK, 1);
    }

    /** Puts the thread with kernel id {@code tid} back in the normal class; null, or why not. */
    public static String lower(int tid) {
        return set(tid, SCHED_OTHER, 0);
    }

    private static String set(int tid, int policy, int priority) {
        if (SCHED_SETSCHEDULER == null) {
            return "sched_setscheduler is not available on " + System.getProperty("os.name");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment param = arena.allocate(JAVA_INT); // struct sched_param { int sched_priority; }
            param.set(JAVA_INT, 0, priority);
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int result = (int) SCHED_SETSCHEDULER.invokeExact(capture, tid, policy, param);
            if (result == 0) {
                return null;
            }
            int errno = (int) ERRNO.get(capture, 0L);
            return switch (errno) {
                case EPERM -> "not permitted (needs root or CAP_SYS_NICE)";
                case ESRCH -> "no such thread";
                default -> "sched_setscheduler failed with errno " + errno;
            };
        } catch (Throwable e) {
            return "sched_setscheduler failed: " + e;
        }
    }

    private static MethodHandle bindSetScheduler() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return null;
        }
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("sched_setscheduler")
                .map(address -> linker.downcallHandle(address, FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
                        Linker.Option.captureCallState("errno")))
                .orElse(null);
    }
}
