package io.reloc.nbd.server;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Limits of an {@link NbdServer}. Immutable; start from {@link #defaults()} and change what you need.
 *
 * @param maxConnections connections served at once; further ones are closed at once
 * @param handshakeTimeout time a client has to finish the handshake before it is disconnected
 * @param maxRequestsInFlight requests of one connection being served at once; when reached the
 *     server stops reading that connection (back-pressure)
 * @param maxBytesInFlight payload bytes of one connection's requests in flight (reads and writes)
 * @param totalBytesInFlight payload bytes in flight over all connections: bounds the server's
 *     buffer memory whatever the number of clients
 * @param replyTimeout a connection whose client accepts no reply bytes for this long is closed, so
 *     that a client that stops reading cannot hold the shared budget forever
 * @param closeGrace how long {@link NbdServer#close()} waits for requests in flight
 */
public record NbdServerConfig(int maxConnections, Duration handshakeTimeout, int maxRequestsInFlight,
                              int maxBytesInFlight, int totalBytesInFlight, Duration replyTimeout,
                              Duration closeGrace) {
    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    public NbdServerConfig {
        requireNonNull(handshakeTimeout, "handshakeTimeout is null");
        requireNonNull(replyTimeout, "replyTimeout is null");
        requireNonNull(closeGrace, "closeGrace is null");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max-connections must be at least 1: " + maxConnections);
        }
        if (!handshakeTimeout.isPositive()) {
            throw new IllegalArgumentException("handshake-timeout must be positive: " + handshakeTimeout);
        }
        if (!replyTimeout.isPositive()) {
            throw new IllegalArgumentException("reply timeout must be positive: " + replyTimeout);
        }
        if (maxRequestsInFlight < 1 || maxBytesInFlight < 1 || totalBytesInFlight < 1) {
            throw new IllegalArgumentException("in-flight limits must be positive");
        }
    }

    public static NbdServerConfig defaults() {
        return new NbdServerConfig(DEFAULT_MAX_CONNECTIONS, DEFAULT_HANDSHAKE_TIMEOUT, 128, 64 << 20, 256 << 20,
                Duration.ofSeconds(60), Duration.ofSeconds(5));
    }

    public NbdServerConfig withMaxConnections(int value) {
        return new NbdServerConfig(value, handshakeTimeout, maxRequestsInFlight, maxBytesInFlight, totalBytesInFlight,
                replyTimeout, closeGrace);
    }

    public NbdServerConfig withHandshakeTimeout(Duration value) {
        return new NbdServerConfig(maxConnections, value, maxRequestsInFlight, maxBytesInFlight, totalBytesInFlight,
                replyTimeout, closeGrace);
    }

    public NbdServerConfig withMaxRequestsInFlight(int value) {
        return new NbdServerConfig(maxConnections, handshakeTimeout, value, maxBytesInFlight, totalBytesInFlight,
                replyTimeout, closeGrace);
    }

    public NbdServerConfig withTotalBytesInFlight(int value) {
        return new NbdServerConfig(maxConnections, handshakeTimeout, maxRequestsInFlight, maxBytesInFlight, value,
                replyTimeout, closeGrace);
    }

    public NbdServerConfig withReplyTimeout(Duration value) {
        return new NbdServerConfig(maxConnections, handshakeTimeout, maxRequestsInFlight, maxBytesInFlight,
                totalBytesInFlight, value, closeGrace);
    }
}
