package io.reloc.nbd.client;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells one connection's server the pace of its replies (RELOC_PACE) without blocking the caller
 * (the copier, as a fetch ends) for the round trip a RELOC_PACE takes to be answered. One is in
 * flight at a time and only the latest rate is sent, so rates never arrive out of order and
 * changes made meanwhile (a limit changed twice) cost one request. After the server refuses one
 * (it predates RELOC_PACE), none are sent again. Thread safe.
 */
final class PaceSender {
    private final NbdConnection connection;
    private final int group;
    private final AtomicLong wanted = new AtomicLong(-1);
    private final AtomicBoolean sending = new AtomicBoolean();
    private volatile boolean refused;
    /** The rate last sent; only the sending thread touches it. */
    private long sent = -1;

    PaceSender(NbdConnection connection, int group) {
        this.connection = connection;
        this.group = group;
    }

    /** Sends {@code bytesPerSecond} soon, unless a later call replaces it first. */
    void pace(long bytesPerSecond) {
        if (refused) {
            return;
        }
        wanted.set(bytesPerSecond);
        if (sending.compareAndSet(false, true)) {
            Thread.ofVirtual().name("nbd-client-pace-" + connection.server()).start(this::sendLatest);
        }
    }

    /** Whether the server still takes RELOC_PACE. */
    boolean accepted() {
        return !refused;
    }

    private void sendLatest() {
        do {
            try {
                long rate;
                while (!refused && (rate = wanted.get()) != sent) {
                    if (connection.pace(rate, group)) {
                        sent = rate;
                    } else {
                        refused = true;
                    }
                }
            } finally {
                sending.set(false);
            }
            // A rate set after the loop's last look but before the flag was cleared found the
            // flag still set and started nobody: look again.
        } while (!refused && wanted.get() != sent && sending.compareAndSet(false, true));
    }
}
