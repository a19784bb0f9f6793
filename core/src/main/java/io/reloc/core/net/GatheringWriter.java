package io.reloc.core.net;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * The outgoing side of a protocol connection that many threads answer on: each queues whole
 * messages, and whichever thread finds the socket free writes everything queued, many messages
 * in one gathering write. So no thread waits for the socket behind another, and at a high queue
 * depth one system call carries many replies. Messages go out in the order they were queued.
 *
 * <p>Once a message is written, or dropped because an earlier write failed, the sink is told
 * ({@link Sink#done}), so that buffers and flow-control credits go back only when nothing reads
 * them any more. After a failed write every later message is dropped. Thread safe.
 *
 * @param <T> a queued message
 */
public final class GatheringWriter<T> {
    /** Most messages gathered into one write. */
    private static final int MAX_BATCH = 64;
    /** Bytes after which a batch takes no more messages, so that its buffers stay few. */
    private static final long BATCH_BYTES = 1 << 20;

    /** Where messages go: the protocol's framing and its socket. */
    public interface Sink<T> {
        /** Adds the buffers of {@code message} to {@code parts} from {@code at}; returns the new count. */
        int buffers(T message, ByteBuffer[] parts, int at);

        /** Writes {@code parts[0..count)} whole (or throws); called with the writer's lock held. */
        void write(ByteBuffer[] parts, int count) throws IOException;

        /** The message was written or dropped: its buffers may be reused. */
        void done(T message);

        /** A write failed: the connection is broken (close it); later messages are dropped. */
        void failed(IOException e);
    }

    private final Sink<T> sink;
    private final Queue<T> queue = new ConcurrentLinkedQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Object[] batch = new Object[MAX_BATCH];
    private final ByteBuffer[] parts;
    private volatile boolean broken;

    /** @param maxParts how many buffers one message has at most */
    public GatheringWriter(Sink<T> sink, int maxParts) {
        this.sink = requireNonNull(sink, "sink is null");
        if (maxParts < 1) {
            throw new IllegalArgumentException("a message has at least one buffer: " + maxParts);
        }
        this.parts = new ByteBuffer[MAX_BATCH * maxParts];
    }

    /** Queues a message without writing it (see {@link #push}): callers that order messages under a lock of theirs. */
    public void queue(T message) {
        queue.add(requireNonNull(message, "message is null"));
    }

    /** Queues a message and writes the queue unless another thread is writing it. */
    public void send(T message) {
        queue(message);
        push();
    }

    /** Writes the queue unless another thread is writing it (that thread then writes it too). */
    public void push() {
        do {
            // A failed tryLock is fine: the holder checks the queue again after unlocking.
            if (!lock.tryLock()) {
                return;
            }
            try {
                writeQueued();
            } finally {
                lock.unlock();
            }
        } while (!queue.isEmpty());
    }

    /** Waits for a thread writing now, then writes what is queued: before the socket closes. */
    public void flush() {
        lock.lock();
        try {
            writeQueued();
        } finally {
            lock.unlock();
        }
    }

    /** Whether a write failed. */
    public boolean broken() {
        return broken;
    }

    /** Marks the connection broken (closed by its owner): what is queued from now on is dropped. */
    public void breakOff() {
        broken = true;
    }

    @SuppressWarnings("unchecked")
    private void writeQueued() {
        while (true) {
            int n = 0;
            int p = 0;
            long bytes = 0;
            T message;
            while (n < MAX_BATCH && bytes < BATCH_BYTES && (message = queue.poll()) != null) {
                batch[n++] = message;
                int from = p;
                p = sink.buffers(message, parts, p);
                for (int i = from; i < p; i++) {
                    bytes += parts[i].remaining();
                }
            }
            if (n == 0) {
                return;
            }
            try {
                if (!broken) {
                    sink.write(parts, p);
                }
            } catch (IOException e) {
                broken = true;
                sink.failed(e);
            } finally {
                for (int i = 0; i < n; i++) {
                    sink.done((T) batch[i]);
                    batch[i] = null;
                }
                Arrays.fill(parts, 0, p, null);
            }
        }
    }
}
