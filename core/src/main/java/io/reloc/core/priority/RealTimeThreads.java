package io.reloc.core.priority;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * Keeps the threads that carry a read in the real-time class ({@link RealTimePriority}): the
 * carriers of virtual threads and the JDK's pollers (which wake a virtual thread whose socket is
 * ready), and the caller's own platform threads named in {@link #start}. The JDK creates its
 * threads when it needs them, so they are found by name in {@code /proc/self/task}, at once and
 * then every second. On a machine whose cores are busy (a background copy, a compressing codec,
 * other guests), a woken thread otherwise waits for a core, and each hand-off of a read pays it.
 * Other threads (the garbage collector, the compilers, the background copier's own thread) keep
 * their priority and run when these leave a core free: where these fill the cores, that can be
 * close to a second, until the kernel's real-time throttling lets the others run. Closing puts
 * the threads raised back in the normal class. Linux only.
 */
public final class RealTimeThreads implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RealTimeThreads.class);
    /** Threads the JDK runs virtual threads with, by the start of their names (Linux keeps 15 characters). */
    public static final List<String> VIRTUAL_THREAD_SUPPORT =
            List.of("ForkJoinPool-", "MasterPoller", "Read-Poller", "Write-Poller", "VirtualThread-u");
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final long PERIOD_MILLIS = 1000;

    private final List<String> prefixes;
    /** Kernel ids of the threads raised, with their names (an id may be reused by a later thread). */
    private final Map<Integer, String> raisedThreads = new ConcurrentHashMap<>();
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final Thread thread;

    private RealTimeThreads(List<String> prefixes) {
        this.prefixes = List.copyOf(prefixes);
        this.thread = Thread.ofPlatform().daemon().name("reloc-realtime").unstarted(this::run);
    }

    /**
     * Checks that this process may raise threads, raises those whose names start with one of
     * {@code prefixes} and keeps doing so every second.
     *
     * @throws IllegalStateException why threads cannot be raised here (not permitted, not Linux)
     */
    public static RealTimeThreads start(List<String> prefixes) {
        String refused = probe();
        if (refused != null) {
            throw new IllegalStateException("cannot run threads at real-time priority: " + refused);
        }
        RealTimeThreads threads = new RealTimeThreads(prefixes);
        threads.scan();
        threads.thread.start();
        log.info("threads named {}* run at real-time priority (SCHED_FIFO 1), raised as they appear", String.join("*, ", prefixes));
        return threads;
    }

    /** Raises a short-lived thread of its own: null when this process may raise threads, or why not. */
    static String probe() {
        if (!Files.isDirectory(TASKS)) {
            return "no " + TASKS + " (not Linux)";
        }
        AtomicReference<String> refused = new AtomicReference<>("the probe did not run");
        try {
            Thread.ofPlatform().start(() -> refused.set(RealTimePriority.raiseCurrentThread())).join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return refused.get();
    }

    /** Threads raised and not lowered again (those that ended meanwhile included). */
    public int raised() {
        return raisedThreads.size();
    }

    private void run() {
        try {
            while (true) {
                Thread.sleep(PERIOD_MILLIS);
                scan();
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private void scan() {
        List<Path> tasks;
        try (Stream<Path> list = Files.list(TASKS)) {
            tasks = list.toList();
        } catch (IOException e) {
            warnOnce("cannot list " + TASKS + ": " + e.getMessage());
            return;
        }
        List<String> raisedNow = new ArrayList<>();
        for (Path task : tasks) {
            try {
                String name = Files.readString(task.resolve("comm")).strip();
                if (prefixes.stream().noneMatch(name::startsWith) || policy(task) == RealTimePriority.SCHED_FIFO) {
                    continue;
                }
                int tid = Integer.parseInt(task.getFileName().toString());
                String refused = RealTimePriority.raise(tid);
                if (refused == null) {
                    raisedThreads.put(tid, name);
                    raisedNow.add(name);
                } else if (!refused.equals("no such thread")) {
                    warnOnce("thread " + name + " keeps its priority: " + refused);
                }
            } catch (IOException | RuntimeException gone) {
                // The thread ended while being looked at.
            }
        }
        if (!raisedNow.isEmpty()) {
            log.debug("raised to real-time priority: {}", raisedNow);
        }
    }

    /** A task's scheduling policy: field 41 of its stat, counted after the command name's ')'. */
    public static int policy(Path task) throws IOException {
        String stat = Files.readString(task.resolve("stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[41 - 3]);
    }

    private void warnOnce(String message) {
        if (failure.compareAndSet(null, message)) {
            log.warn(message);
        }
    }

    /** Stops raising threads and puts those raised, where they still run, back in the normal class. */
    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        raisedThreads.forEach((tid, name) -> {
            try {
                if (Files.readString(TASKS.resolve(tid.toString()).resolve("comm")).strip().equals(name)) {
                    RealTimePriority.lower(tid);
                }
            } catch (IOException gone) {
                // ended
            }
        });
        raisedThreads.clear();
    }
}
