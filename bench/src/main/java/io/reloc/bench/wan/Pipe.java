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
 */
final class Pipe {
    /** Small enough to pace smoothly at 100 Mbit/s, large enough to keep syscalls few. */
    static final int CHUNK = 16 * 1024;
    private static final byte[] END = new byte[0];

    private record Chunk(byte[] data, int length, long deliverAt) {}

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
                byte[] buffer = new byte[CHUNK];
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                queue.put(new Chunk(buffer, n, link.schedule(System.nanoTime(), n)));
            }
        } catch (IOException | InterruptedException e) {
            // The connection was cut or reset: end this direction.
        }
        try {
            queue.put(new Chunk(END, 0, 0));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write() {
        try {
            while (true) {
                Chunk chunk = queue.take();
                if (chunk.data() == END) {
                    break;
                }
                long wait;
                while ((wait = chunk.deliverAt() - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                out.write(chunk.data(), 0, chunk.length());
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // The receiver went away.
        } finally {
            onEnd.run();
        }
    }
}
