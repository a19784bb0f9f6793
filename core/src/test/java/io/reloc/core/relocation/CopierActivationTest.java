package io.reloc.core.relocation;

import io.reloc.api.CopyOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The copier tells its order of switch-over once, and only when there was one. */
class CopierActivationTest {
    private static final int BLOCK = 4096;
    private static final int BLOCKS = 8;

    @TempDir
    Path dir;

    /** Block order, counting the switch-overs it is told of. */
    private static final class CountingOrder implements CopyOrder {
        final AtomicInteger activations = new AtomicInteger();

        @Override
        public long next(long cursor) {
            return cursor;
        }

        @Override
        public void activated() {
            activations.incrementAndGet();
        }
    }

    private int activationsUntilComplete(StartMode mode) throws Exception {
        byte[] content = new byte[BLOCK * BLOCKS];
        new Random(3).nextBytes(content);
        TestSource source = new TestSource(content);
        RelocatingDevice device = RelocatingDevice.open(new CrashableStore(content.length), source,
                new MapFile(dir.resolve(mode + ".map")), BLOCK, "src", "c1", mode);
        CountingOrder order = new CountingOrder();
        try (BackgroundCopier copier = new BackgroundCopier(device, new RateLimiter(0), order)) {
            copier.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            if (mode == StartMode.PRECOPY) {
                while (device.status().presentBlocks() < BLOCKS && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                // A block rewritten at the source leaves something to copy after switch-over.
                source.writeAtSource(0, new byte[BLOCK]);
            }
            if (device.state() != RelocationState.ACTIVE) {
                device.activate(ActivationTrigger.CONTROL);
            }
            while (device.state() != RelocationState.COMPLETE && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(RelocationState.COMPLETE, device.state());
        }
        return order.activations.get();
    }

    @Test
    void aRelocationStartedInStandbyTellsItsOrderOnce() throws Exception {
        assertEquals(1, activationsUntilComplete(StartMode.STANDBY));
    }

    @Test
    void aRelocationThatPrecopiedTellsItsOrderOnce() throws Exception {
        assertEquals(1, activationsUntilComplete(StartMode.PRECOPY));
    }

    @Test
    void aRelocationStartedActiveHasNoSwitchOverToTell() throws Exception {
        assertEquals(0, activationsUntilComplete(StartMode.ACTIVE));
    }
}
