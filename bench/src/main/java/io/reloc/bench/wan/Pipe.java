package io.reloc.bench.wan;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Carries one direction of one connection across a {@link LinkDirection}: a reader takes bytes
 * from the sender as the link accepts them (a bounded queue, so a full link pushes back on the
 * sender as TCP would), and a writer hands each chunk to the receiver at its delivery time.
 *
 * <p>The link is emulated in chunks of at most {@link #CHUNK} bytes, but the relay reads and
 * writes in larger pieces when the bytes are there: on a virtual machine every system call
 * costs, and an emulator that spends the cores' time moving 16 KiB at a time leaves less of it
 * to the ends whose speed it measures.
 */
final class Pipe {
    /** Small enough to pace smoothly at 100 Mbit/s: the link's unit of serialisation. */
    static final int CHUNK = 16 * 1024;
    /** Most bytes one read takes from the sender (split into chunks for the link). */
    private static final int READ_BYTES = 4 * CHUNK;
    /** Most bytes one write hands to the receiver (chunks that are due together). */
    private static final int WRITE_BYTES = 16 * CHUNK;
    private static final byte[] END = new byte[0];

    private record Chunk(byte[] data, int offset, int length, long deliverAt) {}

    private final InputStream in;
    private final OutputStream out;
    private final LinkDirection link;
    private final BlockingQueue<Chunk> queue;
    private final Runnable onEnd;

    Pipe(InputStream in, OutputStream out, LinkDirection link, int queueChunks, Runnable onEnd) {
        this.in = in;
        this.out = out;
        this.link = link;
        this.queue = new ArrayBlockingQueue<>(queueChunks);
        this.onEnd = onEnd;
    }

    void start(String name) {
        Thread.ofPlatform().daemon().name(name + "-in").start(this::read);
        Thread.ofPlatform().daemon().name(name + "-out").start(this::write);
    }

    private void read() {
        try {
            while (true) {
                byte[] buffer = new byte[READ_BYTES];
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                long now = System.nanoTime();
                for (int offset = 0; offset < n; offset += CHUNK) {
                    int length = Math.min(CHUNK, n - offset);
                    queue.put(new Chunk(buffer, offset, length, link.schedule(now, length)));
                }
            }
        } catch (IOException | InterruptedException e) {
            // The connection was cut or reset: end this direction.
        }
        try {
            queue.put(new Chunk(END, 0, 0, 0));
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
