package io.reloc.core.relocation;

import io.reloc.core.net.ReplyPacing;

import static java.util.Objects.requireNonNull;

/**
 * Has the background lane's server keep the copy's rate limit ({@code --rate}) itself
 * ({@link ReplyPacing}): the limiter spaces the requests, but a server that stalls answers what
 * waited at once, and over a WAN that burst waits in the link's queue, where demand replies wait
 * behind it. Paced at the server, the backlog waits there and demand replies (on the other lane)
 * pass it. A limit a little below the link's rate keeps the link's queue empty, which the pacer,
 * finding the link's rate by filling it, cannot do: asking the server for the pacer's own
 * measured rate left the queue as long as before, and for less than it made the copy collapse
 * (docs/wan-benchmark-log.md, "Twelfth pass"). Told again whenever the limit changes, 0 when it is
 * lifted. Thread safe.
 *
 * <p>The server is told {@value #HEADROOM} times the limit: the limiter keeps the copy to the
 * limit, and the pacer cruises 2% below the rate it measures, which at the server's pace is the
 * server's; paced at the limit itself, the copy got 93% of a 100 Mbit/s link for a limit of 95%.
 */
final class LanePace {
    static final double HEADROOM = 1.03;
    private final ReplyPacing lane;
    private final RateLimiter limit;
    private long told;

    LanePace(ReplyPacing lane, RateLimiter limit) {
        this.lane = requireNonNull(lane, "lane is null");
        this.limit = requireNonNull(limit, "limit is null");
    }

    /** Tells the lane the limit (with the headroom) when it changed since last told. */
    synchronized void update() {
        long rate = limit.rate();
        if (rate != told) {
            told = rate;
            lane.paceReplies((long) (rate * HEADROOM));
        }
    }
}
