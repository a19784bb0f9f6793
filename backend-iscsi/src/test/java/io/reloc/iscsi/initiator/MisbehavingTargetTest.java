package io.reloc.iscsi.initiator;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The initiator against a scripted target: protocol violations fail everything, never return wrong data. */
class MisbehavingTargetTest {
    private static final long BLOCKS = 4096;

    private static BlockDevice open(FakeTarget t) throws IOException {
        return new IscsiSourceConnector().open(URI.create(t.uri()));
    }

    private static void assertIoAndStaysFailed(BlockDevice d, String what) {
        BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(4096)));
        assertEquals(BlockError.IO, e.error(), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        BlockDeviceException later = assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(512)));
        assertEquals(BlockError.IO, later.error());
    }

    @Test
    void correctTargetWithSmallPdusAndAWindowOfOne() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 1, (f, c, lba, n) -> f.answer(c, lba, n, 1000));
             BlockDevice d = open(t)) {
            assertEquals(BLOCKS * 512, d.size());
            try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                List<Future<?>> futures = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    long lba = 100L * i;
                    futures.add(pool.submit(() -> {
                        ByteBuffer dst = ByteBuffer.allocate(64 * 512);
                        d.read(lba * 512, dst);
                        assertArrayEquals(FakeTarget.content(lba, 64), dst.array());
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            }
            assertEquals(List.of(), t.violations);
        }
    }

    @Test
    void unitAttentionsAreRetriedAtOpenAndOnReads() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, 1, (f, c, lba, n) -> f.answer(c, lba, n, 4096));
             BlockDevice d = open(t)) {
            assertEquals(BLOCKS * 512, d.size());
            t.unitAttentions.set(2);
            // Four commands of the default MaxBurstLength (the fake declares none); two meet a unit attention.
            ByteBuffer dst = ByteBuffer.allocate(4 * 262144);
            d.read(0, dst);
            assertArrayEquals(FakeTarget.content(0, dst.capacity() / 512), dst.array());
        }
    }

    @Test
    void busyAndTaskSetFullAreRetried() throws Exception {
        java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger(3);
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) -> {
            int left = refusals.getAndDecrement();
            if (left > 0) {
                f.send(f.status(Pdu.create(Opcode.SCSI_RESPONSE).flags(0x80).byteAt(3, left % 2 == 0 ? 0x08 : 0x28)
                        .itt(c.itt())));
            } else {
                f.answer(c, lba, n, 4096);
            }
        }); BlockDevice d = open(t)) {
            ByteBuffer dst = ByteBuffer.allocate(8192);
            d.read(0, dst);
            assertArrayEquals(FakeTarget.content(0, 16), dst.array());
        }
    }

    @Test
    void aGapInDataInFailsTheConnection() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) -> {
            byte[] all = FakeTarget.content(lba, n);
            f.dataIn(c.itt(), 0, 512, java.util.Arrays.copyOfRange(all, 512, all.length), true);
        }); BlockDevice d = open(t)) {
            assertIoAndStaysFailed(d, "broke the protocol");
        }
    }

    @Test
    void anOverrunFailsTheConnection() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) ->
                f.dataIn(c.itt(), 0, 0, FakeTarget.content(lba, n + 1), true)); BlockDevice d = open(t)) {
            assertIoAndStaysFailed(d, "beyond the expected");
        }
    }

    @Test
    void anUnknownTaskTagFailsTheConnection() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) ->
                f.dataIn(c.itt() + 1000, 0, 0, FakeTarget.content(lba, n), true)); BlockDevice d = open(t)) {
            assertIoAndStaysFailed(d, "unknown task tag");
        }
    }

    @Test
    void aShortReadWithUnderflowIsAnIoErrorButTheSessionGoesOn() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) -> {
            if (n > 1) {
                Pdu r = Pdu.create(Opcode.DATA_IN).flags(0x83).itt(c.itt()).intAt(40, 0).intAt(44, 512)
                        .data(java.util.Arrays.copyOf(FakeTarget.content(lba, n), (n - 1) * 512));
                f.send(f.status(r));
            } else {
                f.answer(c, lba, n, 512);
            }
        }); BlockDevice d = open(t)) {
            BlockDeviceException e = assertThrows(BlockDeviceException.class, () -> d.read(0, ByteBuffer.allocate(4096)));
            assertEquals(BlockError.IO, e.error());
            assertTrue(e.getMessage().contains("returned 3584 of 4096 bytes"), e.getMessage());
            ByteBuffer one = ByteBuffer.allocate(512);
            d.read(512, one);
            assertArrayEquals(FakeTarget.content(1, 1), one.array());
        }
    }

    @Test
    void aNopInIsAnsweredWithItsTargetTransferTag() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) -> {
            Pdu nop = Pdu.create(Opcode.NOP_IN).flags(0x80).itt(Pdu.RESERVED_TAG).intAt(20, 0x5150);
            f.send(f.status(nop));
            f.answer(c, lba, n, 4096);
        }); BlockDevice d = open(t)) {
            ByteBuffer dst = ByteBuffer.allocate(4096);
            d.read(0, dst);
            assertArrayEquals(FakeTarget.content(0, 8), dst.array());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (t.received.stream().noneMatch(p -> p.opcode() == Opcode.NOP_OUT) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Pdu reply = t.received.stream().filter(p -> p.opcode() == Opcode.NOP_OUT).findFirst().orElseThrow();
            assertEquals(0x5150, reply.intAt(20));
            assertEquals(Pdu.RESERVED_TAG, reply.itt());
            assertTrue(reply.immediate());
        }
    }

    @Test
    void aSilentTargetFailsTheReadAfterTheReplyTimeout() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) -> { });
             IscsiSourceDevice d = IscsiSourceDevice.open(IscsiUri.parse(URI.create(t.uri())),
                     java.time.Duration.ofMillis(300))) {
            assertIoAndStaysFailed(d, "sent nothing for 300 ms");
        }
    }

    @Test
    void closeLogsOut() throws Exception {
        try (FakeTarget t = new FakeTarget(BLOCKS, 8, (f, c, lba, n) -> f.answer(c, lba, n, 4096))) {
            BlockDevice d = open(t);
            d.close();
            assertTrue(t.received.stream().anyMatch(p -> p.opcode() == Opcode.LOGOUT), t.received.toString());
        }
    }
}
