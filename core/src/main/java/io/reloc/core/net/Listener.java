package io.reloc.core.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * The listening socket of a front end: binds with a message a user can act on, and accepts on a
 * virtual thread of its own, handing each connection to the server. A failed accept (e.g. too
 * many open files) is logged and retried, so the connections there are keep being served.
 * Thread safe.
 */
public final class Listener implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(Listener.class);

    private final String protocol;
    private final ServerSocketChannel server;
    private final InetSocketAddress address;
    private Thread acceptor;

    private Listener(String protocol, ServerSocketChannel server) throws IOException {
        this.protocol = protocol;
        this.server = server;
        this.address = (InetSocketAddress) server.getLocalAddress();
    }

    /**
     * @throws IOException "cannot listen for PROTOCOL on ADDRESS: … (is another server using the
     *     port?)" when the address cannot be bound
     */
    public static Listener bind(String protocol, InetSocketAddress address, int backlog) throws IOException {
        requireNonNull(protocol, "protocol is null");
        requireNonNull(address, "address is null");
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(address, backlog);
            return new Listener(protocol, server);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen for " + protocol + " on " + address + ": " + e.getMessage()
                    + " (is another server using the port?)", e);
        }
    }

    /** The bound address, with the real port when 0 was asked for. */
    public InetSocketAddress address() {
        return address;
    }

    /** Starts accepting; each connection goes to {@code onAccept}, which must not block for long. */
    public synchronized void accept(Consumer<SocketChannel> onAccept) {
        requireNonNull(onAccept, "onAccept is null");
        if (acceptor != null) {
            throw new IllegalStateException("already accepting");
        }
        acceptor = Thread.ofVirtual().name(protocol.toLowerCase(java.util.Locale.ROOT) + "-accept-" + address.getPort())
                .start(() -> acceptLoop(onAccept));
    }

    private void acceptLoop(Consumer<SocketChannel> onAccept) {
        while (server.isOpen()) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                // E.g. too many open files: keep serving the connections there are, and retry.
                log.warn("{} accept failed: {}", protocol, e.toString());
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
                continue;
            }
            onAccept.accept(channel);
        }
    }

    /** Stops accepting and waits briefly for the accepting thread to end. Idempotent. */
    @Override
    public void close() throws IOException {
        server.close();
        Thread t;
        synchronized (this) {
            t = acceptor;
        }
        if (t != null) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
