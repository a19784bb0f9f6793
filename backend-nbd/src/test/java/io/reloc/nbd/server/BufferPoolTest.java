package io.reloc.nbd.server;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BufferPoolTest {

    @Test
    void buffersHaveHeadroomAndArePositionedAtThePayload() {
        BufferPool pool = new BufferPool();
        for (int payload : new int[] {0, 1, 511, 512, 513, 4096, 65537, 32 << 20}) {
            ByteBuffer b = pool.acquire(payload);
            assertTrue(b.isDirect());
            assertEquals(BufferPool.HEADROOM, b.position(), "payload " + payload);
            assertEquals(BufferPool.HEADROOM + payload, b.limit(), "payload " + payload);
            assertTrue(b.capacity() >= BufferPool.HEADROOM + payload);
            pool.release(b);
        }
    }

    @Test
    void releasedBuffersAreReusedBySizeClass() {
        BufferPool pool = new BufferPool();
        ByteBuffer a = pool.acquire(4096);
        pool.release(a);
        ByteBuffer b = pool.acquire(3000);
        assertSame(a, b);
        assertEquals(BufferPool.HEADROOM + 3000, b.limit());
        ByteBuffer c = pool.acquire(4097);
        assertTrue(c != a && c.capacity() > a.capacity());
    }

    @Test
    void freeMemoryKeptIsBounded() {
        int size = BufferPool.HEADROOM + 4096;
        BufferPool pool = new BufferPool(2L * size);
        ByteBuffer a = pool.acquire(4096);
        ByteBuffer b = pool.acquire(4096);
        ByteBuffer c = pool.acquire(4096);
        pool.release(a);
        pool.release(b);
        pool.release(c); // beyond the budget: dropped
        assertSame(b, pool.acquire(4096));
        assertSame(a, pool.acquire(4096));
        ByteBuffer fresh = pool.acquire(4096);
        assertTrue(fresh != a && fresh != b && fresh != c);
    }
}
