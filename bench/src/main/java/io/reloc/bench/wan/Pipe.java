package io.reloc.bench.wan;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Carries one direction of one connection across a {@link LinkDirection}: a reader takes bytes
 * from the sender as the link accepts them (a bounded queue, so a full link pushes back on the
 * sender as TCP would), and a writer hands each chunk to the receiver at its delivery time.
 *
 * <p>The link is emulated in chunks of at most {@link #chunkBytes} bytes, but the relay reads and
 * writes in larger pieces when the bytes are there: on a virtual machine every system call
 * costs, and an emulator that spends the cores' time moving 16 KiB at a time leaves less of it
 * to the ends whose speed it measures.
 */
final class Pipe {
    /**
     * How long a chunk takes on the link: 16 KiB at 100 Mbit/s, small enough to pace smoothly.
     * A chunk's bytes arrive together, so this is also how late the first of them may be.
     */
    static final long CHUNK_NANOS = 16 * 1024 * 8 * 1_000_000_000L / 100_000_000L;
    static final int MIN_CHUNK = 16 * 1024;
    static final int MAX_CHUNK = 1024 * 1024;
    /** Most bytes one write hands to the receiver (chunks that are due together). */
    private static final int WRITE_BYTES = 2 * MAX_CHUNK;
    private static final byte[] END = new byte[0];

    private record Chunk(byte[] data, int offset, int length, long enteredAt, long deliverAt) {}

    /** Told of every write the relay made: its length, when its first chunk entered and was due, when the write began. */
    interface Tap {
        void written(int length, long enteredAt, long deliverAt, long writtenAt);
    }

    private final InputStream in;
    private final OutputStream out;
    private final LinkDirection link;
    private final BlockingQueue<Chunk> queue;
    private final Runnable onEnd;
    /** Null when nobody listens. */
    private final Tap tap;

    Pipe(InputStream in, OutputStream out, LinkDirection link, int queueChunks, Runnable onEnd, Tap tap) {
        this.in = in;
        this.out = out;
        this.link = link;
        this.queue = new ArrayBlockingQueue<>(queueChunks);
        this.onEnd = onEnd;
        this.tap = tap;
    }

    /**
     * The chunk for a link of {@code bitsPerSecond} (0: unlimited): {@link #CHUNK_NANOS} of link
     * time, 16 KiB to 1 MiB. At 1 Gbit/s, 16 KiB chunks came due every 131 µs, and the relay's
     * threads, woken for each, took a third of the process's CPU from the ends it measures.
     */
    static int chunkBytes(long bitsPerSecond) {
        if (bitsPerSecond == 0) {
            return MAX_CHUNK;
        }
        long bytes = bitsPerSecond / 8 * CHUNK_NANOS / 1_000_000_000L;
        return (int) Math.clamp(bytes, MIN_CHUNK, MAX_CHUNK);
    }

    /**
     * Starts the reader and the writer; with {@code priority}, each first asks it for its thread
     * (see {@link WanLink#realTimeRelay}).
     */
    void start(String name, Runnable priority) {
        Thread.ofPlatform().daemon().name(name + "-in").start(() -> {
            priority.run();
            read();
        });
        Thread.ofPlatform().daemon().name(name + "-out").start(() -> {
            priority.run();
            write();
        });
    }

    private void read() {
        try {
            byte[] buffer = new byte[MAX_CHUNK];
            while (true) {
                // The rate may be changed while connections are open: chunks follow it.
                int chunk = chunkBytes(link.settings().bitsPerSecond());
                int n = in.read(buffer, 0, Math.min(buffer.length, 4 * chunk));
                if (n < 0) {
                    break;
                }
                long now = System.nanoTime();
                // A copy of what came, not a fresh buffer per read: most reads bring a request
                // header of 28 bytes, and zeroing a large buffer for each costs more than copying.
                byte[] data = Arrays.copyOf(buffer, n);
                for (int offset = 0; offset < n; offset += chunk) {
                    int length = Math.min(chunk, n - offset);
                    queue.put(new Chunk(data, offset, length, now, link.schedule(now, length)));
                }
            }
        } catch (IOException | InterruptedException e) {
            // The connection was cut or reset: end this direction.
        }
        try {
            queue.put(new Chunk(END, 0, 0, 0, 0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write() {
        byte[] batch = new byte[WRITE_BYTES];
        try {
            while (true) {
                Chunk chunk = queue.take();
                if (chunk.data() == END) {
                    break;
                }
                awaitDelivery(chunk);
                // Every chunk due by now goes in the same write.
                int length = 0;
                Chunk next = chunk;
                while (true) {
                    System.arraycopy(next.data(), next.offset(), batch, length, next.length());
                    length += next.length();
                    next = queue.peek();
                    if (next == null || next.data() == END || length + next.length() > batch.length
                            || next.deliverAt() > System.nanoTime()) {
                        break;
                    }
                    queue.poll();
                }
                if (tap != null) {
                    // Told before the write: once the bytes are out, the receiver may answer and
                    // the log be read before the write call returns. The first chunk stands for
                    // the write: small exchanges are one chunk.
                    tap.written(length, chunk.enteredAt(), chunk.deliverAt(), System.nanoTime());
                }
                out.write(batch, 0, length);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // The receiver went away.
        } finally {
            onEnd.run();
        }
    }

    private static void awaitDelivery(Chunk chunk) {
        long wait;
        while ((wait = chunk.deliverAt() - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }
}
