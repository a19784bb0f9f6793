package io.reloc.core.relocation;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FetchBuffersTest {
    @Test
    void buffersAreDirectSizedToTheRequestAndReused() {
        FetchBuffers pool = new FetchBuffers(1 << 20);
        ByteBuffer b = pool.acquire(100_000);
        assertTrue(b.isDirect());
        assertEquals(0, b.position());
        assertEquals(100_000, b.limit());
        assertEquals(1 << 17, b.capacity());
        b.position(500);
        pool.release(b);
        assertEquals(1 << 17, pool.kept());
        ByteBuffer again = pool.acquire(70_000);
        assertSame(b, again, "a free buffer of the size class is reused");
        assertEquals(0, again.position());
        assertEquals(70_000, again.limit());
        assertEquals(0, pool.kept());
    }

    @Test
    void freeMemoryStaysWithinTheBound() {
        FetchBuffers pool = new FetchBuffers(1 << 20);
        ByteBuffer[] taken = new ByteBuffer[6];
        for (int i = 0; i < taken.length; i++) {
            taken[i] = pool.acquire(256 << 10);
        }
        for (ByteBuffer b : taken) {
            pool.release(b);
        }
        assertEquals(1 << 20, pool.kept(), "four quarter-megabyte buffers kept, two left to the collector");
    }

    @Test
    void foreignBuffersAreRefused() {
        FetchBuffers pool = new FetchBuffers();
        assertThrows(IllegalArgumentException.class, () -> pool.release(ByteBuffer.allocate(4096)));
        assertThrows(IllegalArgumentException.class, () -> pool.release(ByteBuffer.allocateDirect(5000)));
        assertThrows(IllegalArgumentException.class, () -> pool.acquire(-1));
    }
}
