package io.reloc.nbd.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * The socket of one NBD client connection: whole-buffer reads (one reader at a time) and whole
 * writes serialized by a lock, so that many threads may send requests while one thread reads
 * replies. Closing it wakes the reader.
 */
final class NbdTransport implements AutoCloseable {
    private final SocketChannel channel;
    private final String server;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** When bytes last arrived, so that a silent server can be told from a slow one. */
    private volatile long lastReadNanos = System.nanoTime();

    private NbdTransport(SocketChannel channel, String server) {
        this.channel = requireNonNull(channel, "channel is null");
        this.server = requireNonNull(server, "server is null");
    }

    /** @throws IOException saying why the server could not be reached and what to check */
    static NbdTransport connect(NbdUri uri) throws IOException {
        SocketAddress address;
        SocketChannel channel;
        if (uri.socket().isPresent()) {
            address = UnixDomainSocketAddress.of(uri.socket().get());
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        } else {
            InetSocketAddress inet = new InetSocketAddress(uri.host(), uri.port());
            if (inet.isUnresolved()) {
                throw new UnknownHostException("cannot resolve NBD server host '" + uri.host() + "'");
            }
            address = inet;
            channel = SocketChannel.open();
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        try {
            channel.connect(address);
        } catch (ConnectException e) {
            channel.close();
            throw new ConnectException("cannot connect to NBD server " + uri.server() + ": connection refused; "
                    + "is the server running and listening there?");
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot connect to NBD server " + uri.server() + ": " + e.getMessage()
                    + (uri.socket().isPresent() ? "; does the socket exist?" : ""), e);
        }
        return new NbdTransport(channel, uri.server());
    }

    /** {@code host:port} or {@code unix:PATH}. */
    String server() {
        return server;
    }

    /**
     * Fills {@code dst} to its limit.
     *
     * @throws EOFException naming {@code what} if the server closes first
     */
    void readFully(ByteBuffer dst, String what) throws IOException {
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                throw new EOFException("NBD server " + server + " closed the connection in the middle of " + what);
            }
            lastReadNanos = System.nanoTime();
        }
    }

    /**
     * Like {@link #readFully}, but returns false if the server closed the connection before
     * sending the first byte: the end of the stream between messages rather than inside one.
     */
    boolean readFullyOrEnd(ByteBuffer dst, String what) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                if (dst.position() == start) {
                    return false;
                }
                throw new EOFException("NBD server " + server + " closed the connection in the middle of " + what);
            }
            lastReadNanos = System.nanoTime();
        }
        return true;
    }

    /** Reads exactly {@code n} bytes into a new buffer, flipped. */
    ByteBuffer read(int n, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        readFully(b, what);
        return b.flip();
    }

    /** Reads and drops {@code n} bytes. */
    void skip(long n, String what) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate((int) Math.min(n, 64 * 1024));
        while (n > 0) {
            scratch.clear().limit((int) Math.min(n, scratch.capacity()));
            readFully(scratch, what);
            n -= scratch.limit();
        }
    }

    /** Writes every buffer whole, as one unit with respect to other writers. */
    void write(ByteBuffer... buffers) throws IOException {
        writeLock.lock();
        try {
            for (ByteBuffer b : buffers) {
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
        } finally {
            writeLock.unlock();
        }
    }

    long lastReadNanos() {
        return lastReadNanos;
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
