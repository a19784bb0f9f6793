package io.reloc.core.relocation;

import io.reloc.core.net.LinkBytes;

import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Paces background fetches so that they use the link without building a queue at its bottleneck,
 * where a client's demand fetch would wait behind them (the link is one FIFO shared by every
 * connection). In the spirit of BBR, with LEDBAT's (RFC 6817) idea of a queueing-delay target:
 * it measures the bottleneck's delivery rate (per round trip; the most over the last
 * {@value #RATE_ROUNDS} round trips) and the minimum round trip of a fetch (over the last
 * {@value #MIN_RTT_WINDOW_SECONDS} s), and sends at that rate, which by itself builds no queue.
 * To find out whether the link could carry more, one round trip in eight sends a little faster
 * (by {@code targetQueue / minRtt}, so at most one target's worth of queue forms) and the next
 * one as much slower, which drains what the probe queued. After a cycle in which the rate grew by
 * half the probe or more and no queue formed, the next probe goes twice as far (up to 25%, BBR's
 * gain; the probe that finds the link full then queues its own share of a round trip, once);
 * after any other cycle, back to the small step. A round trip whose fastest fetch took
 * longer than the minimum plus twice the target, twice in a row, means a standing queue (the link slowed, or
 * clients took part of it): the rate estimate is replaced by what that round trip delivered and
 * the next round trip drains. Judging by the fastest fetch of a round trip keeps the controller
 * deaf to fetches that were slow for other reasons (a busy CPU at either end), which a queue at
 * the link never is: it delays every fetch. A round in which, with fetches out, none ended for
 * half a round trip more than the link's rate explains had a stall at either end (a garbage
 * collector's pause, a core taken away), after which replies come in a burst: its queue is
 * drained, but it counts neither as a round of a standing queue nor as a probe the link refused,
 * since the link is as fast as before. The bytes in flight are capped at twice the
 * bandwidth-delay product, a safety net only. Fetches are sized to take about {@code runTime} on
 * the link, since a demand reply may wait behind the one being sent.
 *
 * <p>Startup doubles the rate every round trip until it stops growing by a quarter for three
 * round trips, then drains the queue it built at half the rate, until no more is in flight than
 * the bandwidth-delay product. In startup every fetch that ends measures the rate (what the link
 * delivered while it was out), so that the doubling follows the link within a round trip.
 *
 * <p>Bytes on the link. Given a count of the bytes the fetches took on the link (the relocation
 * channel compresses data and sends zeros as markers), the rates, the window's bandwidth-delay
 * product and the queue judged are in those bytes, and the link bytes a fetched byte costs
 * (measured per round trip, from the link's count of the data bytes it carried, read at the same
 * moments: fetches end later than their bytes arrive) turn them into bytes to fetch. Counted in fetched bytes instead,
 * a rate measured on compressible data is several times the link's, and when the data turns
 * incompressible that rate fills the link's queue with round trips of replies until the
 * rate filter forgets it, ten rounds later. Without the count, link and fetched bytes are the
 * same.
 *
 * <p>Times are in nanoseconds from the given clock, rates in bytes per second. Thread safe;
 * {@link #acquire} blocks, the other methods do not.
 */
final class DelayPacer {
    static final int RATE_ROUNDS = 10;
    static final int MIN_RTT_WINDOW_SECONDS = 10;
    private static final int STARTUP_ROUNDS_WITHOUT_GROWTH = 3;
    /** In flight before anything is measured: a few fetches, as TCP's initial window. */
    private static final int INITIAL_FETCHES = 4;

    /** How large fetches get and how much queue is tolerated. */
    record Settings(long targetQueueNanos, long runNanos, long minRunBytes, long maxRunBytes, long initialRunBytes) {
        Settings {
            if (targetQueueNanos <= 0 || runNanos <= 0 || minRunBytes <= 0 || maxRunBytes < minRunBytes
                    || initialRunBytes < minRunBytes || initialRunBytes > maxRunBytes) {
                throw new IllegalArgumentException("pacer settings out of range: " + targetQueueNanos + ", " + runNanos
                        + ", " + minRunBytes + ".." + maxRunBytes + ", " + initialRunBytes);
            }
        }
    }

    /** A fetch on its way: what was known when it was sent, to measure the rate when it ends. */
    record Fetch(long bytes, long sentAt, boolean appLimited, long deliveredAtSend) {}

    enum Phase { STARTUP, DRAIN, CRUISE }

    private record Sample(long key, double value) {}

    /** Rounds per probing cycle in CRUISE: probe up, drain, then six at the measured rate. */
    private static final int CYCLE = 8;
    private static final double CRUISE_GAIN = 0.98;
    /** The largest probe step, BBR's probing gain of 1.25. */
    private static final double MAX_PROBE_STEP = 0.25;
    /** Fetches a round needs for one round to show a queue worth draining at once. */
    private static final int LARGE_QUEUE_FETCHES = 8;
    /**
     * Pacing gain in startup: 2 / ln 2, BBR's, the smallest with which what the link delivers
     * doubles every round trip although the rate measured lags what was sent by about one.
     */
    private static final double STARTUP_GAIN = 2 / Math.log(2);

    private final LongSupplier clock;
    private final Settings settings;
    /** Bytes the fetches took on the link so far; null to count fetched bytes. */
    private final LinkBytes linkBytes;
    private final long linkBytesAtStart;
    private final long dataBytesAtStart;
    /** Fetched bytes delivered (equal to {@link #delivered} without a link count). */
    private long fetched;
    /** The data bytes that {@link #delivered} link bytes carried, read with them. */
    private long dataDelivered;
    private long roundStartData;
    /** Link bytes per fetched byte, as the last round measured it. */
    private double linkPerFetched = 1;
    /** Rate samples per round; the front is the maximum of the window. */
    private final ArrayDeque<Sample> rates = new ArrayDeque<>();
    /** What the last {@value #RATE_ROUNDS} cruising rounds with enough to send delivered, oldest first. */
    private final ArrayDeque<Double> cruiseRates = new ArrayDeque<>();
    /** RTT samples by time; the front is the minimum of the window. */
    private final ArrayDeque<Sample> rtts = new ArrayDeque<>();

    private Phase phase = Phase.STARTUP;
    private long inFlight;
    private long delivered;
    private long nextSendAt;
    private long round;
    /** The round ends when a fetch sent after it began ends. */
    private long roundStartedAt;
    private long roundStartDelivered;
    private boolean roundAppLimited;
    private long roundMinRtt = Long.MAX_VALUE;
    /** Fetches that ended in this round. */
    private int roundFetches;
    /** When the last fetch ended, or the first was sent after none was in flight. */
    private long lastEndAt;
    /** The longest time in this round in which fetches were in flight and none ended. */
    private long roundLongestGap;
    private double startupBest;
    /** The most any fetch measured in startup. */
    private double startupRate;
    private int roundsWithoutGrowth;
    /** Pacing gain of the current round in CRUISE. */
    private double gain = 1;
    private int cycleRound;
    private boolean queuedBefore;
    private long standingQueues;
    /** What the probe step is multiplied by: doubled by each probe the link absorbed, 1 after one it did not. */
    private double probeScale = 1;
    /** The step of the current cycle's probe, and the rate before it. */
    private double probe;
    private double probeFrom;
    /** Whether a round since the last probe showed a queue. */
    private boolean cycleQueued;

    DelayPacer(LongSupplier clock, Settings settings) {
        this(clock, settings, null);
    }

    /** @param linkBytes the counts of what the fetches took on the link, or null to count fetched bytes */
    DelayPacer(LongSupplier clock, Settings settings, LinkBytes linkBytes) {
        this.clock = clock;
        this.settings = settings;
        this.linkBytes = linkBytes;
        this.linkBytesAtStart = linkBytes == null ? 0 : linkBytes.linkBytesReceived();
        this.dataBytesAtStart = linkBytes == null ? 0 : linkBytes.dataBytesReceived();
        long now = clock.getAsLong();
        this.nextSendAt = now;
        this.roundStartedAt = now;
    }

    /** Bytes per second the bottleneck delivers, as measured; 0 before the first measurement. */
    synchronized double rate() {
        return phase == Phase.STARTUP ? Math.max(roundsRate(), startupRate) : roundsRate();
    }

    /**
     * What the path delivers, for people: the median of what the last {@value #RATE_ROUNDS}
     * cruising rounds that had enough to send delivered, in bytes per second on the link; 0 before
     * the first. {@link #rate()} is the most of those rounds, as pacing needs, and so also the
     * round that a burst of replies (a stall at either end) made look faster than the link.
     */
    synchronized double deliveredRate() {
        if (cruiseRates.isEmpty()) {
            return 0;
        }
        double[] sorted = cruiseRates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    /** {@link #rate()} in fetched bytes: what fetches may bring per second. */
    private double fetchRate() {
        return rate() / linkPerFetched;
    }

    /**
     * Reads the link's counts since this pacer began: link bytes delivered and the data bytes
     * they carried, at one moment, so that the ratio of any two readings' differences is what the
     * link carried in between. A count may lag for a moment (a connection being replaced); these
     * never go back.
     */
    private void readLinkCounts() {
        delivered = Math.max(delivered, linkBytes.linkBytesReceived() - linkBytesAtStart);
        dataDelivered = Math.max(dataDelivered, linkBytes.dataBytesReceived() - dataBytesAtStart);
    }

    /** The most a round delivered, over the last {@value #RATE_ROUNDS}; 0 before the first. */
    private double roundsRate() {
        return rates.isEmpty() ? 0 : rates.peekFirst().value();
    }

    /** The smallest round trip of a fetch seen recently; 0 before the first. */
    synchronized long minRtt() {
        return rtts.isEmpty() ? 0 : (long) rtts.peekFirst().value();
    }

    synchronized Phase phase() {
        return phase;
    }

    synchronized long inFlight() {
        return inFlight;
    }

    /** How many bytes may be in flight now. */
    synchronized long window() {
        double rate = fetchRate();
        long minRtt = minRtt();
        if (rate == 0 || minRtt == 0) {
            return INITIAL_FETCHES * settings.initialRunBytes();
        }
        // A cap only: pacing keeps the queue short, the cap keeps a wrong pace from flooding it.
        double bdp = rate * minRtt / 1e9;
        return Math.max((long) (2 * bdp), 4 * runBytes());
    }

    /** Sending rate in bytes per second, or 0 for not paced. */
    synchronized double pacingRate() {
        double rate = fetchRate();
        long minRtt = minRtt();
        if (rate == 0 || minRtt == 0) {
            return 0;
        }
        return switch (phase) {
            case STARTUP -> STARTUP_GAIN * rate;
            case DRAIN -> rate / 2;
            case CRUISE -> gain * rate;
        };
    }

    /** How large the next fetch should be: about {@code runTime} at the measured rate. */
    synchronized long runBytes() {
        double rate = fetchRate();
        if (rate == 0) {
            return settings.initialRunBytes();
        }
        long bytes = (long) (rate * settings.runNanos() / 1e9);
        return Math.clamp(bytes, settings.minRunBytes(), settings.maxRunBytes());
    }

    /**
     * How long to wait before a fetch of {@code bytes} may be sent: 0 to send now,
     * {@link Long#MAX_VALUE} until a fetch in flight ends (the window is full).
     */
    synchronized long delayBeforeSend(long bytes) {
        if (inFlight > 0 && inFlight + bytes > window()) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, nextSendAt - clock.getAsLong());
    }

    /** Records that a fetch of {@code bytes} leaves now; give the result to {@link #done}. */
    synchronized Fetch sent(long bytes) {
        long now = clock.getAsLong();
        if (linkBytes != null) {
            readLinkCounts();
        }
        // Sent neither as fast as the pacing allows nor up to the window: the copier had nothing
        // to send, so what this round measures may be less than the link can do.
        boolean appLimited = now - nextSendAt > settings.runNanos() && inFlight + 2 * bytes <= window();
        if (inFlight == 0 && phase != Phase.STARTUP) {
            appLimited = true;
        }
        if (inFlight == 0) {
            // Nothing in flight: the round starts now. Time in which nothing was sent (before the
            // first fetch, the relocation in standby for seconds; the copier busy elsewhere) says
            // nothing of the link, and counted in a round it would measure a rate near zero, which
            // with no estimate before is believed and then paces the copier at that rate.
            roundStartedAt = now;
            roundStartDelivered = delivered;
            roundStartData = dataDelivered;
            lastEndAt = now;
        }
        inFlight += bytes;
        double pace = pacingRate();
        // A sender woken a little late may catch up by one run, but a pause earns no burst.
        nextSendAt = Math.max(nextSendAt, now - settings.runNanos()) + (pace == 0 ? 0 : (long) (bytes * 1e9 / pace));
        return new Fetch(bytes, now, appLimited, delivered);
    }

    /** Blocks until a fetch of {@code bytes} may be sent, then records it as sent. */
    Fetch acquire(long bytes) throws InterruptedException {
        while (true) {
            long delay;
            synchronized (this) {
                delay = delayBeforeSend(bytes);
                if (delay == 0) {
                    return sent(bytes);
                }
                if (delay == Long.MAX_VALUE) {
                    wait();
                    continue;
                }
            }
            // Outside the monitor: parking is finer than Object.wait's milliseconds.
            LockSupport.parkNanos(delay);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** The fetch ended, having moved {@code moved} bytes (0 if it failed or found nothing to do). */
    synchronized void done(Fetch fetch, long moved) {
        long now = clock.getAsLong();
        inFlight -= fetch.bytes();
        notifyAll();
        // Less what the link itself explains: this fetch's bytes at a quarter of the rate, so
        // that on a slow link, where one fetch takes longer than half a round trip, a link that
        // slowed is not taken for a stall.
        double rate = fetchRate();
        long linkTime = rate == 0 ? 0 : (long) (4e9 * fetch.bytes() / rate);
        roundLongestGap = Math.max(roundLongestGap, now - lastEndAt - linkTime);
        lastEndAt = now;
        if (moved <= 0) {
            return;
        }
        fetched += moved;
        if (linkBytes == null) {
            delivered = fetched;
        } else {
            readLinkCounts();
        }
        long rtt = Math.max(1, now - fetch.sentAt());
        addRtt(now, rtt);
        roundMinRtt = Math.min(roundMinRtt, rtt);
        roundFetches++;
        roundAppLimited |= fetch.appLimited();
        if (phase == Phase.STARTUP) {
            // What the link delivered while this fetch was out: the rate now, not a round ago.
            // Measured per round only, startup would grow by half the factor it means to, since
            // a round measures what the round before it sent.
            // Kept apart from the rounds' filter: bursts of replies (a busy CPU at either end)
            // make some samples read above the link, which startup may believe for a few round
            // trips but cruising must not start from.
            startupRate = Math.max(startupRate, (delivered - fetch.deliveredAtSend()) * 1e9 / rtt);
        }
        if (fetch.sentAt() >= roundStartedAt && now - roundStartedAt >= minRtt()) {
            endRound(now);
        }
        // The queue startup built is gone once no more is in flight than the path holds: cruise
        // at once. Waiting for a round to show short round trips lets the link idle for one or two.
        if (phase == Phase.DRAIN && inFlight <= fetchRate() * minRtt() / 1e9) {
            cruise();
            // A fresh round: the fetches that end in the current one waited in that queue, and
            // would be judged a standing queue and drained again.
            startRound(now);
        }
    }

    private void cruise() {
        phase = Phase.CRUISE;
        probeScale = 1;
        probeFrom = 0;
        cycleRound = 2; // just drained: start with rounds at the measured rate
        gain = CRUISE_GAIN;
        queuedBefore = false;
    }

    private void endRound(long now) {
        round++;
        long minRtt = minRtt();
        double roundRate = (delivered - roundStartDelivered) * 1e9 / (now - roundStartedAt);
        if (linkBytes != null && dataDelivered > roundStartData && delivered > roundStartDelivered) {
            // Bounded, so that a miscount (another user of the count) cannot stop or flood the copy.
            linkPerFetched = Math.clamp((double) (delivered - roundStartDelivered) / (dataDelivered - roundStartData), 0.01, 2.0);
        }
        // A round that had nothing to send says only that the link is at least this fast.
        if (!roundAppLimited || roundRate > roundsRate()) {
            addRate(roundRate);
        }
        if (!roundAppLimited && phase == Phase.CRUISE) {
            cruiseRates.addLast(roundRate);
            if (cruiseRates.size() > RATE_ROUNDS) {
                cruiseRates.removeFirst();
            }
        }
        // The last estimate stays until a round replaces it: rounds that had little to send add
        // no sample, and had they let every sample expire the rate would drop to "unknown"
        // (a window of a few fetches), from which cruising grows by a few percent a round.
        while (rates.size() > 1 && rates.peekFirst().key() <= round - RATE_ROUNDS) {
            rates.removeFirst();
        }
        boolean queued = roundMinRtt != Long.MAX_VALUE && roundMinRtt - minRtt > 2 * settings.targetQueueNanos();
        double best = rate();
        switch (phase) {
            case STARTUP -> {
                if (best >= startupBest * 1.25) {
                    startupBest = best;
                    roundsWithoutGrowth = 0;
                } else if (++roundsWithoutGrowth >= STARTUP_ROUNDS_WITHOUT_GROWTH) {
                    phase = Phase.DRAIN;
                }
            }
            case DRAIN -> {
                if (!queued) {
                    cruise();
                }
            }
            case CRUISE -> {
                double step = Math.clamp((double) settings.targetQueueNanos() / Math.max(1, minRtt), 0.01, 0.25);
                // Two rounds in a row: a stall of the CPU at either end delays a whole round now
                // and then, a standing queue delays every round until it is drained.
                // A round in which nothing ended for half a round trip, with fetches out, had the
                // client or the server stalled (a garbage collector's pause, a core taken away):
                // at a link whose queue stands, fetches keep ending at its rate. The stall's delay
                // is drained below, but it is not the first of two rounds of a standing queue,
                // whose cut would leave the rate a fifth lower than the link after every stall.
                boolean stalled = roundLongestGap > minRtt / 2;
                boolean standing = queued && queuedBefore && !stalled;
                queuedBefore = queued && cycleRound != 1 && !stalled;
                // Half the round trip (and four targets) in one round, for every one of several
                // fetches, is neither a CPU hiccup (those are judged over two rounds) nor a slow
                // server's jitter, whose queues standing-queue rounds must still lower the rate
                // for: drained at once, below. (A quarter let a server whose replies vary by up
                // to half the round trip keep a queue and lose up to 39% of the link.)
                boolean large = queued && roundFetches >= LARGE_QUEUE_FETCHES
                        && roundMinRtt - minRtt > Math.max(minRtt / 2, 4 * settings.targetQueueNanos());
                if (standing || large && !stalled) {
                    probeScale = 1;
                    probeFrom = 0;
                }
                if (standing && cycleRound != 1) {
                    // A standing queue: the link gives less than estimated. Believe what got
                    // through (but at most a fifth less per round, in case it was a stall after
                    // all), and drain for a round.
                    rates.clear();
                    addRate(Math.max(roundRate, 0.8 * best));
                    queuedBefore = false;
                    standingQueues++;
                    gain = 1 - 2 * step;
                    cycleRound = 1;
                } else if (large) {
                    // Left by a stall of the sender, whose link is as fast as before: the rate
                    // stays, the queue is drained, a round at a time until it is short.
                    queuedBefore = false;
                    standingQueues++;
                    gain = drainGain(step, roundMinRtt - minRtt, minRtt);
                    cycleRound = 1;
                } else {
                    cycleRound = (cycleRound + 1) % CYCLE;
                    cycleQueued |= queued && !stalled;
                    if (cycleRound == 0) {
                        // The rate grew by at least half the last probe in a cycle without a
                        // queue: the link has more to give, maybe much more (the rate was measured
                        // while a core was busy, or the link got faster). Probe twice as far this
                        // time. With the step alone, 2% at 50 ms, the copy found the other half of
                        // a link it had underestimated in fourteen seconds.
                        boolean absorbed = probeFrom > 0 && !cycleQueued && best >= probeFrom * (1 + probe / 2);
                        probeScale = absorbed ? Math.min(2 * probeScale, MAX_PROBE_STEP / step) : 1;
                        probe = Math.min(MAX_PROBE_STEP, step * probeScale);
                        probeFrom = best;
                        cycleQueued = false;
                    }
                    gain = switch (cycleRound) {
                        case 0 -> 1 + probe;
                        case 1 -> 1 - probe;
                        // Slightly below the estimate, which a noisy round may have set too high.
                        default -> CRUISE_GAIN;
                    };
                }
            }
        }
        startRound(now);
    }

    private void startRound(long now) {
        roundStartedAt = now;
        roundStartDelivered = delivered;
        roundStartData = dataDelivered;
        roundAppLimited = false;
        roundMinRtt = Long.MAX_VALUE;
        roundFetches = 0;
        roundLongestGap = 0;
    }

    /**
     * The gain that drains a queue of {@code queue} behind a round trip of {@code minRtt} in about
     * a round: {@code 1 - queue / minRtt}, at least half the rate and at most {@code 1 - 2 step}.
     * A stall of the sender (a pause of its garbage collector, a busy core) leaves a round trip's
     * worth of replies queued, which a fixed small step took dozens of rounds to drain while every
     * demand reply waited behind it.
     */
    private static double drainGain(double step, long queue, long minRtt) {
        return Math.max(0.5, 1 - Math.max(2 * step, (double) queue / Math.max(1, minRtt)));
    }

    private void addRate(double rate) {
        while (!rates.isEmpty() && rates.peekLast().value() <= rate) {
            rates.removeLast();
        }
        rates.addLast(new Sample(round, rate));
    }

    private void addRtt(long now, long rtt) {
        while (!rtts.isEmpty() && rtts.peekLast().value() >= rtt) {
            rtts.removeLast();
        }
        rtts.addLast(new Sample(now, rtt));
        while (rtts.peekFirst().key() < now - MIN_RTT_WINDOW_SECONDS * 1_000_000_000L) {
            rtts.removeFirst();
        }
    }

    @Override
    public synchronized String toString() {
        return String.format(java.util.Locale.ROOT, "%s, rate %.1f MB/s on the link (%.2f per fetched byte), pace %.1f MB/s, "
                + "min RTT %.1f ms, run %d KiB, window %d KiB, in flight %d KiB, %d standing queues drained", phase, rate() / 1e6,
                linkPerFetched, pacingRate() / 1e6, minRtt() / 1e6, runBytes() >> 10, window() >> 10, inFlight >> 10, standingQueues);
    }
}
