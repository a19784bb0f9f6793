package io.reloc.core.tracking;

import io.reloc.core.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every way data can change on a tracked device is recorded, whichever call made it. */
class TrackedDeviceTest {
    private static final int BLOCK = 4096;

    @Test
    void everyKindOfChangeIsRecorded() throws IOException {
        try (TrackedDevice device = new TrackedDevice(new MemoryBlockStore(16 * BLOCK))) {
            long session = device.tracker().start(BLOCK);
            device.write(1L * BLOCK, ByteBuffer.allocate(BLOCK), false);
            device.writeUncached(3L * BLOCK, ByteBuffer.allocate(BLOCK));
            device.trim(5L * BLOCK, BLOCK, false);
            device.writeZeroes(7L * BLOCK, BLOCK, Set.of());
            device.read(9L * BLOCK, ByteBuffer.allocate(BLOCK));
            device.allocate(11L * BLOCK, BLOCK);
            BitSet expected = new BitSet();
            expected.set(1);
            expected.set(3);
            expected.set(5);
            expected.set(7);
            assertEquals(expected, device.tracker().dirty(session, 0).orElseThrow().blocks(),
                    "writes of every kind, and neither reads nor allocation hints");
        }
    }
}
