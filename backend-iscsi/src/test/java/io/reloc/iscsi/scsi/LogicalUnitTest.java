package io.reloc.iscsi.scsi;

import io.reloc.api.BlockError;
import io.reloc.iscsi.testing.FakeDevice;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every supported command from CDB bytes, against a memory device; no sockets. */
class LogicalUnitTest {
    private static final int BS = 512;
    private static final long BLOCKS = 2048;

    private FakeDevice device;
    private LogicalUnit unit;

    @BeforeEach
    void setUp() {
        device = new FakeDevice(BLOCKS * BS, false);
        unit = new LogicalUnit(device, "disk0", new ReentrantReadWriteLock());
    }

    static byte[] cdb(int... bytes) {
        byte[] b = new byte[16];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return b;
    }

    static byte[] rw10(int opcode, long lba, int blocks) {
        byte[] c = cdb(opcode);
        Cdb.put32(c, 2, lba);
        Cdb.put16(c, 7, blocks);
        return c;
    }

    static byte[] rw16(int opcode, long lba, long blocks) {
        byte[] c = cdb(opcode);
        Cdb.put64(c, 2, lba);
        Cdb.put32(c, 10, blocks);
        return c;
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    private ScsiResult run(byte[] cdb) {
        return unit.execute(cdb, new byte[0]);
    }

    private static void assertGood(ScsiResult r) {
        assertEquals(ScsiResult.GOOD, r.status(), () -> "expected GOOD, got " + r.sense());
    }

    private static void assertSense(Sense expected, ScsiResult r) {
        assertEquals(ScsiResult.CHECK_CONDITION, r.status());
        Sense s = r.sense().orElseThrow();
        assertEquals(expected.key(), s.key(), s::toString);
        assertEquals(expected.asc(), s.asc(), s::toString);
        assertEquals(expected.ascq(), s.ascq(), s::toString);
    }

    @Test
    void testUnitReadyAndRequestSense() {
        assertGood(run(cdb(0x00)));
        ScsiResult r = run(cdb(0x03, 0, 0, 0, 18));
        assertGood(r);
        assertEquals(0x70, r.dataIn()[0] & 0xff);
        assertEquals(0, r.dataIn()[2]);
    }

    @Test
    void invalidOpcode() {
        for (int op : List.of(0x5e, 0x5f, 0x16, 0x1b, 0x1e, 0x04, 0x83, 0xff)) {
            assertSense(Sense.INVALID_OPCODE, run(cdb(op)));
        }
    }

    @Test
    void standardInquiry() {
        ScsiResult r = run(cdb(0x12, 0, 0, 0, 255));
        assertGood(r);
        byte[] d = r.dataIn();
        assertTrue(d.length >= 36);
        assertEquals(0, d[0]);
        assertEquals(6, d[2]);
        assertEquals(2, d[3] & 0x0f);
        assertEquals(d.length - 5, d[4] & 0xff);
        assertEquals("RELOC   ", new String(d, 8, 8, StandardCharsets.US_ASCII));
        List<Integer> versions = List.of(Cdb.u16(d, 58), Cdb.u16(d, 60), Cdb.u16(d, 62), Cdb.u16(d, 64));
        assertTrue(versions.contains(0x0460) && versions.contains(0x04c0), versions::toString);
        assertEquals(10, run(cdb(0x12, 0, 0, 0, 10)).dataIn().length);
    }

    @Test
    void inquiryPageWithoutEvpdIsInvalid() {
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0x12, 0, 0x80, 0, 255)));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0x12, 1, 0x99, 0, 255)));
    }

    @Test
    void vitalProductDataPages() {
        byte[] supported = run(cdb(0x12, 1, 0x00, 0, 255)).dataIn();
        int n = Cdb.u16(supported, 2);
        for (int i = 0; i < n; i++) {
            int page = supported[4 + i] & 0xff;
            if (i > 0) {
                assertTrue(page > (supported[3 + i] & 0xff), "pages ascend");
            }
            ScsiResult r = run(cdb(0x12, 1, page, 0x01, 0));
            assertGood(r);
            assertEquals(page, r.dataIn()[1] & 0xff);
        }
        byte[] serial = run(cdb(0x12, 1, 0x80, 0, 255)).dataIn();
        assertEquals(16, serial[3]);
        byte[] ids = run(cdb(0x12, 1, 0x83, 0, 255)).dataIn();
        assertEquals(0x03, ids[5] & 0x0f); // NAA first
        assertEquals(0x6, (ids[8] & 0xf0) >> 4);
        byte[] limits = run(cdb(0x12, 1, 0xb0, 0, 255)).dataIn();
        assertEquals(0x3c, Cdb.u16(limits, 2));
        assertEquals(65536, Cdb.u32(limits, 8)); // 32 MiB of 512-byte blocks
        assertTrue(Cdb.u32(limits, 20) <= 1 << 20 && Cdb.u32(limits, 20) > 0);
        byte[] lbp = run(cdb(0x12, 1, 0xb2, 0, 255)).dataIn();
        assertEquals(0xe4, lbp[5] & 0xff);
        byte[] bdc = run(cdb(0x12, 1, 0xb1, 0, 255)).dataIn();
        assertEquals(1, Cdb.u16(bdc, 4));
    }

    @Test
    void identifiersAreStablePerName() {
        LogicalUnit again = new LogicalUnit(new FakeDevice(BS, false), "disk0", new ReentrantReadWriteLock());
        LogicalUnit other = new LogicalUnit(new FakeDevice(BS, false), "disk1", new ReentrantReadWriteLock());
        byte[] page = cdb(0x12, 1, 0x83, 0, 255);
        assertArrayEquals(unit.execute(page, new byte[0]).dataIn(), again.execute(page, new byte[0]).dataIn());
        assertTrue(!Arrays.equals(unit.execute(page, new byte[0]).dataIn(), other.execute(page, new byte[0]).dataIn()));
    }

    @Test
    void readCapacity() {
        byte[] c10 = run(cdb(0x25)).dataIn();
        assertEquals(BLOCKS - 1, Cdb.u32(c10, 0));
        assertEquals(BS, Cdb.u32(c10, 4));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0x25, 0, 0, 0, 0, 1)));
        byte[] c16 = run(cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32)).dataIn();
        assertEquals(32, c16.length);
        assertEquals(BLOCKS - 1, Cdb.u64(c16, 0));
        assertEquals(BS, Cdb.u32(c16, 8));
        assertEquals(0xc0, c16[14] & 0xff); // LBPME, LBPRZ
        assertEquals(12, run(cdb(0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12)).dataIn().length);
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0x9e, 0x1f)));
    }

    @Test
    void writeThenReadEverySize() {
        byte[] data = pattern(4 * BS, 1);
        assertGood(unit.execute(rw10(0x2a, 10, 4), data));
        assertArrayEquals(data, run(rw10(0x28, 10, 4)).dataIn());
        assertArrayEquals(data, run(rw16(0x88, 10, 4)).dataIn());
        byte[] r12 = cdb(0xa8);
        Cdb.put32(r12, 2, 10);
        Cdb.put32(r12, 6, 4);
        assertArrayEquals(data, run(r12).dataIn());
        assertArrayEquals(data, run(cdb(0x08, 0, 0, 10, 4)).dataIn());

        byte[] other = pattern(2 * BS, 9);
        assertGood(unit.execute(cdb(0x0a, 0, 0, 100, 2), other));
        byte[] w12 = cdb(0xaa);
        Cdb.put32(w12, 2, 200);
        Cdb.put32(w12, 6, 2);
        assertGood(unit.execute(w12, other));
        assertGood(unit.execute(rw16(0x8a, BLOCKS - 2, 2), other));
        assertGood(unit.execute(rw10(0x2e, 300, 2), other)); // WRITE AND VERIFY
        for (long lba : List.of(100L, 200L, BLOCKS - 2, 300L)) {
            assertArrayEquals(other, run(rw16(0x88, lba, 2)).dataIn());
        }
    }

    @Test
    void read6LengthZeroMeansTwoHundredFiftySix() {
        assertEquals(256 * BS, run(cdb(0x08, 0, 0, 0, 0)).dataIn().length);
    }

    @Test
    void zeroBlocksIsNoTransfer() {
        ScsiResult r = run(rw10(0x28, 0, 0));
        assertGood(r);
        assertEquals(0, r.dataIn().length);
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw10(0x28, BLOCKS, 0)));
    }

    @Test
    void outOfRange() {
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw10(0x28, BLOCKS - 1, 2)));
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw10(0x28, 0xffffffffL, 1)));
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw16(0x88, -1L, 1)));
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw16(0x88, 1L << 63, 1)));
        assertSense(Sense.LBA_OUT_OF_RANGE, unit.execute(rw16(0x8a, BLOCKS, 1), new byte[BS]));
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw16(0x8f, BLOCKS, 1)));
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw10(0x35, BLOCKS + 1, 0)));
    }

    @Test
    void tooLongTransferIsInvalidField() {
        FakeDevice big = new FakeDevice(128L << 20, false);
        LogicalUnit u = new LogicalUnit(big, "big", new ReentrantReadWriteLock());
        assertSense(Sense.INVALID_FIELD_IN_CDB, u.execute(rw16(0x88, 0, 65537), new byte[0]));
    }

    @Test
    void protectionFieldsAreRefused() {
        for (int op : List.of(0x28, 0x2a, 0x2f)) {
            byte[] c = rw10(op, 0, 1);
            c[1] = 0x20;
            assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(c, new byte[BS]));
        }
    }

    @Test
    void dpoAndFuaAreAccepted() {
        byte[] c = rw10(0x2a, 0, 1);
        c[1] = 0x18;
        assertGood(unit.execute(c, new byte[BS]));
        c[0] = 0x28;
        assertGood(run(c));
    }

    @Test
    void partialWriteDataWritesOnlyWhatCame() {
        byte[] before = pattern(BS, 3);
        assertGood(unit.execute(rw10(0x2a, 5, 1), before));
        assertGood(unit.execute(rw10(0x2a, 5, 1), new byte[200]));
        byte[] after = run(rw10(0x28, 5, 1)).dataIn();
        assertArrayEquals(new byte[200], Arrays.copyOf(after, 200));
        assertArrayEquals(Arrays.copyOfRange(before, 200, BS), Arrays.copyOfRange(after, 200, BS));
        assertEquals(BS, unit.dataOutLength(rw10(0x2a, 5, 1)));
    }

    @Test
    void readOnlyRefusesEveryWrite() {
        LogicalUnit ro = new LogicalUnit(new FakeDevice(BLOCKS * BS, true), "ro", new ReentrantReadWriteLock());
        assertSense(Sense.WRITE_PROTECTED, ro.execute(rw10(0x2a, 0, 1), new byte[BS]));
        assertSense(Sense.WRITE_PROTECTED, ro.execute(rw16(0x93, 0, 1), new byte[BS]));
        assertSense(Sense.WRITE_PROTECTED, ro.execute(cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 24), unmapList(0, 1)));
        assertGood(ro.execute(rw10(0x28, 0, 1), new byte[0]));
        byte[] mode = ro.execute(cdb(0x1a, 0, 0x3f, 0, 255), new byte[0]).dataIn();
        assertEquals(0x80, mode[2] & 0x80);
    }

    @Test
    void verify() {
        byte[] data = pattern(2 * BS, 5);
        unit.execute(rw10(0x2a, 50, 2), data);
        assertGood(run(rw10(0x2f, 50, 2))); // BYTCHK 0: medium check only
        byte[] v = rw10(0x2f, 50, 2);
        v[1] = 0x02;
        assertEquals(2 * BS, unit.dataOutLength(v));
        assertGood(unit.execute(v, data));
        byte[] wrong = data.clone();
        wrong[700] ^= 1;
        ScsiResult r = unit.execute(v, wrong);
        assertSense(Sense.miscompare(0), r);
        assertEquals(700, r.sense().orElseThrow().information());
        byte[] fixed = r.sense().orElseThrow().fixedFormat();
        assertEquals(0xf0, fixed[0] & 0xff); // VALID: the INFORMATION field holds the offset
        assertEquals(700, Cdb.u32(fixed, 3));
        v[1] = 0x04; // BYTCHK 2 is reserved
        assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(v, data));
    }

    @Test
    void verifyWithOneBlockAgainstMany() {
        byte[] block = pattern(BS, 8);
        byte[] two = new byte[2 * BS];
        System.arraycopy(block, 0, two, 0, BS);
        System.arraycopy(block, 0, two, BS, BS);
        unit.execute(rw10(0x2a, 60, 2), two);
        byte[] v = rw16(0x8f, 60, 2);
        v[1] = 0x06; // BYTCHK 3
        assertEquals(BS, unit.dataOutLength(v));
        assertGood(unit.execute(v, block));
    }

    @Test
    void compareAndWrite() {
        byte[] old = pattern(BS, 1);
        byte[] next = pattern(BS, 2);
        unit.execute(rw10(0x2a, 7, 1), old);
        byte[] c = cdb(0x89);
        Cdb.put64(c, 2, 7);
        c[13] = 1;
        assertEquals(2 * BS, unit.dataOutLength(c));
        byte[] both = new byte[2 * BS];
        System.arraycopy(old, 0, both, 0, BS);
        System.arraycopy(next, 0, both, BS, BS);
        assertGood(unit.execute(c, both));
        assertArrayEquals(next, run(rw10(0x28, 7, 1)).dataIn());
        ScsiResult miss = unit.execute(c, both); // the medium now holds "next"
        assertSense(Sense.miscompare(0), miss);
        assertArrayEquals(next, run(rw10(0x28, 7, 1)).dataIn());
        c[13] = 0;
        assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(c, both));
        assertGood(unit.execute(c, new byte[0]));
    }

    @Test
    void writeSamePatternZeroesAndUnmap() {
        byte[] block = pattern(BS, 4);
        assertGood(unit.execute(rw16(0x93, 20, 3), block));
        byte[] read = run(rw10(0x28, 20, 3)).dataIn();
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(block, Arrays.copyOfRange(read, i * BS, (i + 1) * BS));
        }
        assertGood(unit.execute(rw10(0x41, 20, 3), new byte[BS]));
        assertEquals("10240+1536 keep", device.zeroCalls.getLast());
        byte[] unmap = rw10(0x41, 20, 3);
        unmap[1] = 0x08;
        assertGood(unit.execute(unmap, new byte[BS]));
        assertEquals("10240+1536 punch", device.zeroCalls.getLast());
        assertArrayEquals(new byte[3 * BS], run(rw10(0x28, 20, 3)).dataIn());
        byte[] ndob = rw16(0x93, 30, 2);
        ndob[1] = 0x09;
        assertEquals(0, unit.dataOutLength(ndob));
        assertGood(unit.execute(ndob, new byte[0]));
    }

    @Test
    void writeSameRefusals() {
        assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(rw10(0x41, 0, 0), new byte[BS])); // WSNZ
        byte[] anchor = rw10(0x41, 0, 1);
        anchor[1] = 0x10;
        assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(anchor, new byte[BS]));
        byte[] unmapPattern = rw10(0x41, 0, 1);
        unmapPattern[1] = 0x08;
        assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(unmapPattern, pattern(BS, 1)));
        assertSense(Sense.LBA_OUT_OF_RANGE, unit.execute(rw10(0x41, BLOCKS, 1), new byte[BS]));
    }

    static byte[] unmapList(long... lbaCount) {
        int n = lbaCount.length / 2;
        byte[] b = new byte[8 + 16 * n];
        Cdb.put16(b, 0, b.length - 2);
        Cdb.put16(b, 2, 16 * n);
        for (int i = 0; i < n; i++) {
            Cdb.put64(b, 8 + 16 * i, lbaCount[2 * i]);
            Cdb.put32(b, 16 + 16 * i, lbaCount[2 * i + 1]);
        }
        return b;
    }

    @Test
    void unmapPunchesHoles() {
        unit.execute(rw10(0x2a, 0, 8), pattern(8 * BS, 6));
        byte[] list = unmapList(0, 2, 4, 1);
        byte[] c = cdb(0x42, 0, 0, 0, 0, 0, 0, 0, list.length);
        assertEquals(list.length, unit.dataOutLength(c));
        assertGood(unit.execute(c, list));
        assertEquals(List.of("0+1024 punch", "2048+512 punch"), device.zeroCalls);
        byte[] read = run(rw10(0x28, 0, 8)).dataIn();
        assertArrayEquals(new byte[2 * BS], Arrays.copyOf(read, 2 * BS));
        assertArrayEquals(new byte[BS], Arrays.copyOfRange(read, 4 * BS, 5 * BS));
    }

    @Test
    void unmapRefusals() {
        byte[] list = unmapList(BLOCKS - 1, 2);
        assertSense(Sense.LBA_OUT_OF_RANGE, unit.execute(cdb(0x42, 0, 0, 0, 0, 0, 0, 0, list.length), list));
        assertSense(Sense.PARAMETER_LIST_LENGTH_ERROR, unit.execute(cdb(0x42, 0, 0, 0, 0, 0, 0, 0, 4), new byte[4]));
        assertSense(Sense.INVALID_FIELD_IN_CDB, unit.execute(cdb(0x42, 1, 0, 0, 0, 0, 0, 0, 24), unmapList(0, 1)));
        assertGood(unit.execute(cdb(0x42), new byte[0]));
        long[] many = new long[2 * 257];
        byte[] tooMany = unmapList(many);
        byte[] c = cdb(0x42);
        Cdb.put16(c, 7, tooMany.length);
        assertSense(Sense.INVALID_FIELD_IN_PARAMETER_LIST, unit.execute(c, tooMany));
        assertTrue(device.zeroCalls.isEmpty());
    }

    @Test
    void synchronizeCacheFlushes() {
        assertGood(run(rw10(0x35, 0, 0)));
        assertGood(run(rw16(0x91, 0, 10)));
        assertEquals(2, device.flushes);
    }

    @Test
    void preFetchIsACacheHint() {
        java.util.List<String> hints = new java.util.concurrent.CopyOnWriteArrayList<>();
        FakeDevice d = new FakeDevice(BLOCKS * BS, false) {
            @Override
            public void cache(long offset, long length) {
                hints.add(offset + "+" + length);
            }
        };
        LogicalUnit u = new LogicalUnit(d, "p", new ReentrantReadWriteLock());
        assertGood(u.execute(rw10(0x34, 4, 2), new byte[0]));
        assertGood(u.execute(rw16(0x90, BLOCKS - 1, 0), new byte[0])); // 0: to the end
        assertEquals(List.of("2048+1024", (BLOCKS - 1) * BS + "+" + BS), hints);
        assertSense(Sense.LBA_OUT_OF_RANGE, u.execute(rw10(0x34, BLOCKS, 1), new byte[0]));
        byte[] immediate = rw10(0x34, 0, 1);
        immediate[1] = 0x02;
        assertGood(u.execute(immediate, new byte[0]));
    }

    @Test
    void reportLuns() {
        byte[] d = run(cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 16)).dataIn();
        assertEquals(16, d.length);
        assertEquals(8, Cdb.u32(d, 0));
        assertArrayEquals(new byte[8], Arrays.copyOfRange(d, 8, 16));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 15)));
    }

    @Test
    void reportSupportedOpcodes() {
        byte[] all = run(cdb(0xa3, 0x0c, 0, 0, 0, 0, 0, 0, 0x10, 0)).dataIn();
        int length = (int) Cdb.u32(all, 0);
        assertEquals(8 * Opcodes.ALL.size(), length);
        byte[] withTimeouts = run(cdb(0xa3, 0x0c, 0x80, 0, 0, 0, 0, 0, 0x10, 0)).dataIn();
        assertEquals(20 * Opcodes.ALL.size(), Cdb.u32(withTimeouts, 0));

        byte[] one = run(cdb(0xa3, 0x0c, 0x01, 0x28, 0, 0, 0, 0, 0, 64)).dataIn();
        assertEquals(3, one[1] & 0x07);
        assertEquals(10, Cdb.u16(one, 2));
        assertEquals(0x28, one[4] & 0xff);
        byte[] unsupported = run(cdb(0xa3, 0x0c, 0x01, 0x5e, 0, 0, 0, 0, 0, 64)).dataIn();
        assertEquals(1, unsupported[1] & 0x07);
        byte[] sa = run(cdb(0xa3, 0x0c, 0x02, 0x9e, 0, 0x10, 0, 0, 0, 64)).dataIn();
        assertEquals(3, sa[1] & 0x07);
        assertEquals(16, Cdb.u16(sa, 2));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0xa3, 0x0c, 0x01, 0x9e, 0, 0, 0, 0, 0, 64)));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0xa3, 0x0c, 0x02, 0x28, 0, 0, 0, 0, 0, 64)));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0xa3, 0x0c, 0x07, 0, 0, 0, 0, 0, 0, 64)));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0xa3, 0x05)));
    }

    @Test
    void modeSense() {
        byte[] all6 = run(cdb(0x1a, 0, 0x3f, 0, 255)).dataIn();
        assertEquals(all6.length - 1, all6[0] & 0xff);
        assertEquals(0x10, all6[2] & 0x10); // DPOFUA
        assertEquals(8, all6[3]);
        assertEquals(BLOCKS, Cdb.u32(all6, 4));
        assertEquals(0x08, all6[12]); // caching page first
        assertEquals(0x04, all6[14] & 0x04); // WCE
        byte[] control = run(cdb(0x1a, 0x08, 0x0a, 0, 255)).dataIn();
        assertEquals(0, control[3]); // DBD: no block descriptor
        assertEquals(0x0a, control[4]);
        assertEquals(0, control[6] & 0x04); // D_SENSE off: fixed-format sense
        byte[] ten = run(cdb(0x5a, 0x10, 0x3f, 0, 0, 0, 0, 0x01, 0)).dataIn();
        assertEquals(ten.length - 2, Cdb.u16(ten, 0));
        assertEquals(1, ten[4] & 1); // LONGLBA
        assertEquals(16, Cdb.u16(ten, 6));
        assertEquals(BLOCKS, Cdb.u64(ten, 8));
        assertEquals(4, run(cdb(0x1a, 0, 0x3f, 0, 4)).dataIn().length);
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0x1a, 0, 0x19, 0, 255)));
        assertSense(Sense.INVALID_FIELD_IN_CDB, run(cdb(0x1a, 0, 0x08, 0x01, 255)));
        assertSense(new Sense(5, 0x39, 0, -1), run(cdb(0x1a, 0, 0xff, 0, 255)));
        byte[] changeable = run(cdb(0x1a, 0x08, 0x48, 0, 255)).dataIn();
        assertEquals(0, changeable[6]);
    }

    @Test
    void getLbaStatusReportsHoles() {
        byte[] list = unmapList(8, 8);
        unit.execute(cdb(0x42, 0, 0, 0, 0, 0, 0, 0, list.length), list);
        byte[] at0 = run(cdb(0x9e, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64)).dataIn();
        assertEquals(4 + 32, Cdb.u32(at0, 0));
        assertEquals(0, Cdb.u64(at0, 8));
        assertEquals(8, Cdb.u32(at0, 16));
        assertEquals(0, at0[20]);
        assertEquals(8, Cdb.u64(at0, 24));
        assertEquals(1, at0[36]); // deallocated
        byte[] end = rw16(0x9e, BLOCKS, 24);
        end[1] = 0x12;
        assertSense(Sense.LBA_OUT_OF_RANGE, run(end));
        byte[] far = cdb(0x9e, 0x12);
        Cdb.put64(far, 2, 1L << 63);
        Cdb.put32(far, 10, 24);
        assertSense(Sense.LBA_OUT_OF_RANGE, run(far));
    }

    @Test
    void deviceErrorsBecomeSense() {
        device.failWith = BlockError.NO_SPACE;
        assertSense(Sense.SPACE_ALLOCATION_FAILED, unit.execute(rw10(0x2a, 0, 1), new byte[BS]));
        device.failWith = BlockError.IO;
        assertSense(Sense.UNRECOVERED_READ_ERROR, run(rw10(0x28, 0, 1)));
        assertSense(Sense.WRITE_ERROR, unit.execute(rw10(0x2a, 0, 1), new byte[BS]));
        device.failWith = BlockError.INVALID;
        assertSense(Sense.LBA_OUT_OF_RANGE, run(rw10(0x28, 0, 1)));
        device.failWith = BlockError.SHUTDOWN;
        assertSense(Sense.NOT_READY, run(rw10(0x35, 0, 0)));
        device.failWith = BlockError.READ_ONLY;
        assertSense(Sense.WRITE_PROTECTED, unit.execute(rw10(0x2a, 0, 1), new byte[BS]));
        device.failWith = BlockError.NOT_SUPPORTED;
        assertSense(Sense.INTERNAL_TARGET_FAILURE, unit.execute(rw10(0x41, 0, 1), new byte[BS]));
    }

    @Test
    void largerDeviceBlockSizeIsHonoured() {
        FakeDevice d = new FakeDevice(1 << 20, false) {
            @Override
            public io.reloc.api.BlockSizes blockSizes() {
                return new io.reloc.api.BlockSizes(4096, 4096, 1 << 20);
            }
        };
        LogicalUnit u = new LogicalUnit(d, "4k", new ReentrantReadWriteLock());
        assertEquals(4096, u.blockSize());
        assertEquals(256, u.blocks());
    }
}
