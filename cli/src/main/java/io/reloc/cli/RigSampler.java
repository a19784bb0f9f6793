package io.reloc.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static java.util.Objects.requireNonNull;

/**
 * Samples a {@link RelocationRig} every 250 ms on a thread of its own, from {@link #start} until
 * {@link #stop}, and hands each sample to a listener (a progress line) with the sample about a
 * second older, for rates. Times are milliseconds
 * since the sampler was created. Thread safe.
 */
final class RigSampler {
    static final long INTERVAL_MILLIS = 250;

    private final RelocationRig rig;
    private final BiConsumer<DemoSample, DemoSample> listener;
    private final List<DemoSample> samples = new CopyOnWriteArrayList<>();
    private final long startNanos = System.nanoTime();
    private Thread thread;

    RigSampler(RelocationRig rig, BiConsumer<DemoSample, DemoSample> listener) {
        this.rig = requireNonNull(rig, "rig is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    synchronized void start() {
        thread = Thread.ofPlatform().daemon().name("rig-sampler").start(this::loop);
    }

    /** Stops sampling and takes one last sample. */
    synchronized void stop() throws InterruptedException {
        if (thread != null) {
            thread.interrupt();
            thread.join();
            thread = null;
        }
        samples.add(rig.sample(millis()));
    }

    /** Milliseconds since the sampler was created. */
    long millis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    List<DemoSample> samples() {
        return new ArrayList<>(samples);
    }

    /** The oldest sample at most a second older than {@code now} ({@code now} itself if none). */
    private DemoSample secondBefore(DemoSample now) {
        DemoSample then = now;
        for (int i = samples.size() - 1; i >= 0 && now.millis() - samples.get(i).millis() <= 1000; i--) {
            then = samples.get(i);
        }
        return then;
    }

    private void loop() {
        long next = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            DemoSample s = rig.sample(millis());
            samples.add(s);
            listener.accept(s, secondBefore(s));
            next += TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS);
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
