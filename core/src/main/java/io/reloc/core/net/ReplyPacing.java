package io.reloc.core.net;

/**
 * A source whose server can be asked to send its reads' replies at no more than a rate. The
 * background copier asks this of its own lane at the copy's rate limit, so that replies the
 * server answers in a burst (after a stall) wait at the server, where a client's demand fetches
 * on another lane pass them, instead of in the link's queue (see {@code LanePace}).
 */
public interface ReplyPacing {
    /**
     * From now on, replies at no more than {@code bytesPerSecond} on the link; 0 for as fast as
     * the server can. Best effort and without waiting: a server that cannot pace is not asked again.
     */
    void paceReplies(long bytesPerSecond);
}
