package io.reloc.iscsi.target;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectBufferPoolTest {

    @Test
    void sizeClassesAreReused() {
        DirectBufferPool pool = new DirectBufferPool(1 << 20);
        ByteBuffer a = pool.allocate(100_000);
        assertTrue(a.isDirect());
        assertEquals(131072, a.capacity());
        assertEquals(0, a.position());
        assertEquals(100_000, a.limit());
        pool.release(a);
        ByteBuffer b = pool.allocate(70_000);
        assertSame(a, b);
        assertEquals(70_000, b.limit());
    }

    @Test
    void smallAndHugeRequestsGetHeapBuffers() {
        DirectBufferPool pool = new DirectBufferPool(1 << 20);
        ByteBuffer small = pool.allocate(2000);
        assertFalse(small.isDirect());
        assertEquals(2000, small.remaining());
        ByteBuffer block = pool.allocate(4096);
        assertTrue(block.isDirect());
        assertEquals(4096, block.capacity());
        assertFalse(pool.allocate((32 << 20) + 1).isDirect());
        pool.release(small); // ignored
        pool.release(ByteBuffer.allocateDirect(100_000)); // not a size class: ignored
        assertEquals(0, pool.allocate(0).remaining());
    }

    @Test
    void keepsNoMoreThanItsBound() {
        DirectBufferPool pool = new DirectBufferPool(1 << 17);
        ByteBuffer a = pool.allocate(1 << 17);
        ByteBuffer b = pool.allocate(1 << 17);
        pool.release(a);
        pool.release(b); // over the bound: dropped
        assertSame(a, pool.allocate(1 << 17));
        assertNotSame(b, pool.allocate(1 << 17));
    }
}
