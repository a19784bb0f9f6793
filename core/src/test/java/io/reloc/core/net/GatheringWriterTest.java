package io.reloc.core.net;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatheringWriterTest {

    /** Records what was written and given back; can be told to fail or to block a write. */
    private static final class RecordingSink implements GatheringWriter.Sink<String> {
        final ByteArrayOutputStream wire = new ByteArrayOutputStream();
        final List<String> done = new ArrayList<>();
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        volatile boolean fail;
        volatile CountDownLatch entered;
        volatile CountDownLatch release;

        @Override
        public int buffers(String message, ByteBuffer[] parts, int at) {
            // Two parts per message, as a header and a payload.
            parts[at] = ByteBuffer.wrap(message.substring(0, 1).getBytes(StandardCharsets.US_ASCII));
            parts[at + 1] = ByteBuffer.wrap((message.substring(1) + ";").getBytes(StandardCharsets.US_ASCII));
            return at + 2;
        }

        @Override
        public void write(ByteBuffer[] parts, int count) throws IOException {
            writes.incrementAndGet();
            if (entered != null) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (fail) {
                throw new IOException("connection reset");
            }
            for (int i = 0; i < count; i++) {
                ByteBuffer b = parts[i];
                wire.write(b.array(), b.position(), b.remaining());
                b.position(b.limit());
            }
        }

        @Override
        public synchronized void done(String message) {
            done.add(message);
        }

        @Override
        public void failed(IOException e) {
            failures.incrementAndGet();
        }
    }

    @Test
    void messagesGoOutWholeAndInOrderAndAreThenGivenBack() {
        RecordingSink sink = new RecordingSink();
        GatheringWriter<String> writer = new GatheringWriter<>(sink, 2);
        writer.send("a1");
        writer.queue("b22");
        writer.queue("c333");
        writer.push();
        assertEquals("a1;b22;c333;", sink.wire.toString(StandardCharsets.US_ASCII));
        assertEquals(List.of("a1", "b22", "c333"), sink.done);
    }

    @Test
    void whatQueuesWhileAnotherThreadWritesGoesOutInThatThreadsNextWrite() throws Exception {
        RecordingSink sink = new RecordingSink();
        GatheringWriter<String> writer = new GatheringWriter<>(sink, 2);
        sink.entered = new CountDownLatch(1);
        sink.release = new CountDownLatch(1);
        Thread first = Thread.ofPlatform().start(() -> writer.send("x0"));
        sink.entered.await();
        sink.entered = null;
        // The socket is busy: these return at once, queued for the writing thread.
        for (int i = 1; i <= 5; i++) {
            writer.send("y" + i);
        }
        assertEquals(1, sink.writes.get());
        sink.release.countDown();
        first.join();
        assertEquals("x0;y1;y2;y3;y4;y5;", sink.wire.toString(StandardCharsets.US_ASCII));
        assertEquals(2, sink.writes.get(), "the five queued messages went out in one gathering write");
    }

    @Test
    void afterAFailedWriteEverythingIsDroppedButStillGivenBack() {
        RecordingSink sink = new RecordingSink();
        GatheringWriter<String> writer = new GatheringWriter<>(sink, 2);
        sink.fail = true;
        writer.send("a1");
        assertTrue(writer.broken());
        sink.fail = false;
        writer.send("b2");
        writer.flush();
        assertEquals("", sink.wire.toString(StandardCharsets.US_ASCII));
        assertEquals(List.of("a1", "b2"), sink.done);
        assertEquals(1, sink.failures.get());
    }
}
