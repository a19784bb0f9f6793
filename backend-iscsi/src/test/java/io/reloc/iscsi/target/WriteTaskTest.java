package io.reloc.iscsi.target;

import io.reloc.iscsi.scsi.DataBuffers;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WriteTaskTest {

    /** Hands out direct buffers and records what it gave and got back. */
    private static final class RecordingBuffers implements DataBuffers {
        final List<ByteBuffer> given = new ArrayList<>();
        final List<ByteBuffer> returned = new ArrayList<>();

        @Override
        public ByteBuffer allocate(int length) {
            ByteBuffer b = ByteBuffer.allocateDirect(length);
            given.add(b);
            return b;
        }

        @Override
        public void release(ByteBuffer buffer) {
            returned.add(buffer);
        }
    }

    private static void put(WriteTask task, int from, int length) {
        ByteBuffer room = task.reserve(length);
        assertEquals(length, room.remaining());
        for (int i = 0; i < length; i++) {
            room.put((byte) (from + i));
        }
        task.received(length);
    }

    @Test
    void growsFromTheFirstBurstToTheWholeTransferKeepingTheData() {
        RecordingBuffers buffers = new RecordingBuffers();
        WriteTask task = new WriteTask(1, 0, new byte[16], 10_000, 1000, buffers);
        assertEquals(1000, buffers.given.get(0).capacity(), "an unsolicited task holds its first burst only");
        put(task, 0, 1000); // immediate data fills the first buffer
        assertFalse(task.complete());
        put(task, 1000, 4000); // solicited data: the buffer grows to the whole transfer
        assertEquals(2, buffers.given.size());
        assertEquals(10_000, buffers.given.get(1).capacity());
        assertEquals(List.of(buffers.given.get(0)), buffers.returned, "the small buffer goes back at once");
        put(task, 5000, 5000);
        assertTrue(task.complete());
        ByteBuffer data = task.data();
        assertEquals(0, data.position());
        assertEquals(10_000, data.remaining());
        for (int i = 0; i < 10_000; i++) {
            assertEquals((byte) i, data.get(i), "byte " + i);
        }
        task.release();
        assertEquals(buffers.given.get(1), buffers.returned.get(1));
    }

    @Test
    void aTaskSolicitedAtOnceNeedsOneBuffer() {
        RecordingBuffers buffers = new RecordingBuffers();
        WriteTask task = new WriteTask(1, 0, new byte[16], 3000, 3000, buffers);
        put(task, 0, 512);
        put(task, 512, 2488);
        assertTrue(task.complete());
        assertEquals(1, buffers.given.size());
        assertEquals(3000, task.data().remaining());
    }
}
