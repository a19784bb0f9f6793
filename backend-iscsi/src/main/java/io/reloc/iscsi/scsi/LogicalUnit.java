package io.reloc.iscsi.scsi;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

import static io.reloc.iscsi.scsi.Cdb.u16;
import static io.reloc.iscsi.scsi.Cdb.u24;
import static io.reloc.iscsi.scsi.Cdb.u32;
import static io.reloc.iscsi.scsi.Cdb.u64;
import static io.reloc.iscsi.scsi.Cdb.u8;
import static java.util.Objects.requireNonNull;

/**
 * A SCSI direct-access logical unit (SBC-3) over a {@link BlockDevice}: decodes a CDB, runs it
 * against the device and returns status, sense and data. Knows nothing about iSCSI; the transport
 * truncates data to the initiator's expected length and reports residuals.
 *
 * <p>Thread safe: commands from many sessions may run at once. COMPARE AND WRITE is atomic with
 * respect to every write made through logical units sharing the same {@code writeLock}.
 */
public final class LogicalUnit {
    /** Logical block size exposed to initiators. */
    public static final int DEFAULT_BLOCK_SIZE = 512;
    /** Largest READ/WRITE payload whatever the device allows: bounds one buffer to 32 MiB. */
    public static final int MAX_TRANSFER_BYTES = 32 << 20;
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    static final long MAX_UNMAP_BLOCKS = 1L << 20;
    static final long MAX_WRITE_SAME_BLOCKS = 1L << 20;
    private static final int ZERO_CHUNK = 1 << 20;

    private final BlockDevice device;
    private final InquiryData inquiry;
    private final ReadWriteLock writeLock;
    private final DataBuffers buffers;
    private final int blockSize;
    private final long blocks;
    private final int maxTransferBlocks;

    /**
     * @param device the device served; shared, never closed here
     * @param name the export name, from which serial number and designators derive
     * @param writeLock shared by every logical unit over {@code device}
     */
    public LogicalUnit(BlockDevice device, String name, ReadWriteLock writeLock) {
        this(device, name, writeLock, DataBuffers.HEAP);
    }

    /** @param buffers where READ data goes; see {@link ScsiResult#data()} for who gives it back */
    public LogicalUnit(BlockDevice device, String name, ReadWriteLock writeLock, DataBuffers buffers) {
        this.buffers = requireNonNull(buffers, "buffers is null");
        this.device = requireNonNull(device, "device is null");
        this.writeLock = requireNonNull(writeLock, "writeLock is null");
        this.blockSize = Math.max(DEFAULT_BLOCK_SIZE, device.blockSizes().minimum());
        this.blocks = device.size() / blockSize;
        this.maxTransferBlocks = Math.max(1, Math.min(device.blockSizes().maximum(), MAX_TRANSFER_BYTES) / blockSize);
        this.inquiry = new InquiryData(requireNonNull(name, "name is null"), blockSize,
                device.blockSizes().preferred(), maxTransferBlocks);
    }

    public int blockSize() {
        return blockSize;
    }

    public long blocks() {
        return blocks;
    }

    /**
     * Bytes of data-out the CDB asks for (the SCSI "parameter data transfer length"), used for
     * residuals: 0 for commands that send none or that are not supported.
     */
    public long dataOutLength(byte[] cdb) {
        int op = u8(cdb, 0);
        return switch (op) {
            case Opcodes.WRITE_6 -> (long) blocks6(cdb) * blockSize;
            case Opcodes.WRITE_10, Opcodes.WRITE_AND_VERIFY_10 -> (long) u16(cdb, 7) * blockSize;
            case Opcodes.WRITE_12, Opcodes.WRITE_AND_VERIFY_12 -> u32(cdb, 6) * blockSize;
            case Opcodes.WRITE_16, Opcodes.WRITE_AND_VERIFY_16 -> u32(cdb, 10) * blockSize;
            case Opcodes.VERIFY_10 -> verifyBytes(cdb, u16(cdb, 7));
            case Opcodes.VERIFY_12 -> verifyBytes(cdb, u32(cdb, 6));
            case Opcodes.VERIFY_16 -> verifyBytes(cdb, u32(cdb, 10));
            case Opcodes.WRITE_SAME_10 -> blockSize;
            case Opcodes.WRITE_SAME_16 -> (u8(cdb, 1) & 0x01) != 0 ? 0 : blockSize;
            case Opcodes.COMPARE_AND_WRITE -> 2L * u8(cdb, 13) * blockSize;
            case Opcodes.UNMAP -> u16(cdb, 7);
            default -> 0;
        };
    }

    /** Whether the command reads data from the initiator (the W bit must be set for it). */
    public boolean expectsDataOut(byte[] cdb) {
        return dataOutLength(cdb) > 0;
    }

    /**
     * Runs one command.
     *
     * @param cdb the command descriptor block (at least 6 bytes; 16 as iSCSI carries it is fine)
     * @param dataOut the data the initiator sent, at most {@link #dataOutLength} bytes; may be
     *     shorter when the initiator's expected length was shorter (then only that much is written)
     * @return status, sense and data-in; never null
     */
    public ScsiResult execute(byte[] cdb, byte[] dataOut) {
        return execute(cdb, ByteBuffer.wrap(dataOut));
    }

    /**
     * Runs one command whose data-out is in a buffer (position to limit, not consumed): a direct
     * buffer goes to the device's write as it is, without a copy.
     *
     * @see #execute(byte[], byte[])
     */
    public ScsiResult execute(byte[] cdb, ByteBuffer dataOut) {
        try {
            return run(cdb, dataOut.duplicate());
        } catch (ScsiException e) {
            return ScsiResult.check(e.sense());
        }
    }

    private ScsiResult run(byte[] cdb, ByteBuffer data) throws ScsiException {
        int op = u8(cdb, 0);
        if (isWrite(op)) {
            return switch (op) {
                case Opcodes.WRITE_6 -> write(cdb, u24(cdb, 1) & 0x1fffff, blocks6(cdb), data, false);
                case Opcodes.WRITE_10, Opcodes.WRITE_AND_VERIFY_10 -> write(cdb, u32(cdb, 2), u16(cdb, 7), data, true);
                case Opcodes.WRITE_12, Opcodes.WRITE_AND_VERIFY_12 -> write(cdb, u32(cdb, 2), u32(cdb, 6), data, true);
                default -> write(cdb, u64(cdb, 2), u32(cdb, 10), data, true);
            };
        }
        // Other commands carry short parameter lists at most: an array is simpler to parse.
        byte[] out = new byte[data.remaining()];
        data.get(out);
        return switch (op) {
            case Opcodes.TEST_UNIT_READY -> ScsiResult.good();
            case Opcodes.REQUEST_SENSE -> requestSense(cdb);
            case Opcodes.INQUIRY -> ScsiResult.good(truncate(inquiry.inquiry(cdb), u16(cdb, 3)));
            case Opcodes.MODE_SENSE_6 -> ScsiResult.good(ModePages.modeSense(cdb, false, blocks, blockSize,
                    device.isReadOnly()));
            case Opcodes.MODE_SENSE_10 -> ScsiResult.good(ModePages.modeSense(cdb, true, blocks, blockSize,
                    device.isReadOnly()));
            case Opcodes.READ_CAPACITY_10 -> readCapacity10(cdb);
            case Opcodes.SERVICE_ACTION_IN_16 -> switch (u8(cdb, 1) & 0x1f) {
                case Opcodes.SA_READ_CAPACITY_16 -> readCapacity16(cdb);
                case Opcodes.SA_GET_LBA_STATUS -> getLbaStatus(cdb);
                default -> throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
            };
            case Opcodes.MAINTENANCE_IN -> {
                if ((u8(cdb, 1) & 0x1f) != Opcodes.SA_REPORT_SUPPORTED_OPCODES) {
                    throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
                }
                yield ScsiResult.good(SupportedOpcodes.report(cdb));
            }
            case Opcodes.REPORT_LUNS -> reportLuns(cdb);
            case Opcodes.READ_6 -> read(cdb, u24(cdb, 1) & 0x1fffff, blocks6(cdb), false);
            case Opcodes.READ_10 -> read(cdb, u32(cdb, 2), u16(cdb, 7), true);
            case Opcodes.READ_12 -> read(cdb, u32(cdb, 2), u32(cdb, 6), true);
            case Opcodes.READ_16 -> read(cdb, u64(cdb, 2), u32(cdb, 10), true);
            case Opcodes.VERIFY_10 -> verify(cdb, u32(cdb, 2), u16(cdb, 7), out);
            case Opcodes.VERIFY_12 -> verify(cdb, u32(cdb, 2), u32(cdb, 6), out);
            case Opcodes.VERIFY_16 -> verify(cdb, u64(cdb, 2), u32(cdb, 10), out);
            case Opcodes.PRE_FETCH_10 -> preFetch(cdb, u32(cdb, 2), u16(cdb, 7));
            case Opcodes.PRE_FETCH_16 -> preFetch(cdb, u64(cdb, 2), u32(cdb, 10));
            case Opcodes.SYNCHRONIZE_CACHE_10 -> synchronizeCache(u32(cdb, 2), u16(cdb, 7));
            case Opcodes.SYNCHRONIZE_CACHE_16 -> synchronizeCache(u64(cdb, 2), u32(cdb, 10));
            case Opcodes.WRITE_SAME_10 -> writeSame(cdb, u32(cdb, 2), u16(cdb, 7), out, false);
            case Opcodes.WRITE_SAME_16 -> writeSame(cdb, u64(cdb, 2), u32(cdb, 10), out, (u8(cdb, 1) & 1) != 0);
            case Opcodes.UNMAP -> unmap(cdb, out);
            case Opcodes.COMPARE_AND_WRITE -> compareAndWrite(cdb, out);
            default -> throw new ScsiException(Sense.INVALID_OPCODE);
        };
    }

    private static boolean isWrite(int op) {
        return switch (op) {
            case Opcodes.WRITE_6, Opcodes.WRITE_10, Opcodes.WRITE_AND_VERIFY_10, Opcodes.WRITE_12,
                    Opcodes.WRITE_AND_VERIFY_12, Opcodes.WRITE_16, Opcodes.WRITE_AND_VERIFY_16 -> true;
            default -> false;
        };
    }

    private static int blocks6(byte[] cdb) {
        int n = u8(cdb, 4);
        return n == 0 ? 256 : n;
    }

    private long verifyBytes(byte[] cdb, long n) {
        return switch ((u8(cdb, 1) >> 1) & 3) {
            case 1 -> n * blockSize;
            case 3 -> n == 0 ? 0 : blockSize;
            default -> 0;
        };
    }

    private static ScsiResult requestSense(byte[] cdb) throws ScsiException {
        if ((u8(cdb, 1) & 1) != 0) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        return ScsiResult.good(truncate(Sense.NO_SENSE.fixedFormat(), u8(cdb, 4)));
    }

    private ScsiResult readCapacity10(byte[] cdb) throws ScsiException {
        if ((u8(cdb, 8) & 1) == 0 && u32(cdb, 2) != 0) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        byte[] b = new byte[8];
        Cdb.put32(b, 0, Math.min(blocks - 1, 0xffffffffL));
        Cdb.put32(b, 4, blockSize);
        return ScsiResult.good(b);
    }

    private ScsiResult readCapacity16(byte[] cdb) {
        byte[] b = new byte[32];
        Cdb.put64(b, 0, blocks - 1);
        Cdb.put32(b, 8, blockSize);
        // LBPME: UNMAP and WRITE SAME deallocate; LBPRZ: deallocated blocks read as zeroes.
        b[14] = (byte) 0xc0;
        return ScsiResult.good(truncate(b, u32(cdb, 10)));
    }

    private ScsiResult getLbaStatus(byte[] cdb) throws ScsiException {
        long lba = u64(cdb, 2);
        long alloc = u32(cdb, 10);
        if (lba < 0 || lba >= blocks) {
            throw new ScsiException(Sense.LBA_OUT_OF_RANGE);
        }
        int max = (int) Math.max(1, Math.min(64, (alloc - 8) / 16));
        long start = lba * blockSize;
        long length = Math.min(device.size() - start, 1L << 30);
        List<Extent> extents;
        try {
            extents = device.extents(start, length);
        } catch (IOException e) {
            throw new ScsiException(sense(e, false));
        }
        byte[] b = new byte[8 + 16 * Math.min(max, extents.size())];
        int n = 0;
        long at = lba;
        long offset = start;
        for (Extent e : extents) {
            if (n == max) {
                break;
            }
            offset += e.length();
            long end = Math.min(blocks, (offset + blockSize - 1) / blockSize);
            if (end <= at) {
                continue;
            }
            int d = 8 + 16 * n;
            Cdb.put64(b, d, at);
            Cdb.put32(b, d + 8, Math.min(end - at, 0xffffffffL));
            b[d + 12] = (byte) (e.hole() ? 1 : 0);
            at = end;
            n++;
        }
        b = Arrays.copyOf(b, 8 + 16 * n);
        Cdb.put32(b, 0, 4 + 16L * n);
        return ScsiResult.good(truncate(b, alloc));
    }

    private static ScsiResult reportLuns(byte[] cdb) throws ScsiException {
        long alloc = u32(cdb, 6);
        int select = u8(cdb, 2);
        if (alloc < 16 || (select > 2 && select < 0x10) || select > 0x12) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        byte[] b = new byte[16];
        Cdb.put32(b, 0, select == 1 ? 0 : 8);
        return ScsiResult.good(truncate(select == 1 ? Arrays.copyOf(b, 8) : b, alloc));
    }

    /** Checks the range and the protection field shared by READ, WRITE and VERIFY. */
    private void checkRange(long lba, long count) throws ScsiException {
        if (lba < 0 || lba > blocks || count > blocks - lba || (count == 0 && lba >= blocks)) {
            throw new ScsiException(Sense.LBA_OUT_OF_RANGE);
        }
    }

    private static void checkNoProtection(byte[] cdb, boolean hasProtectField) throws ScsiException {
        if (hasProtectField && (u8(cdb, 1) & 0xe0) != 0) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
    }

    private ScsiResult read(byte[] cdb, long lba, long count, boolean protectField) throws ScsiException {
        checkNoProtection(cdb, protectField);
        checkRange(lba, count);
        if (count > maxTransferBlocks) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        ByteBuffer data = buffers.allocate((int) (count * blockSize));
        try {
            if (data.hasRemaining()) {
                device.read(lba * blockSize, data);
            }
        } catch (IOException e) {
            buffers.release(data);
            throw new ScsiException(sense(e, false));
        }
        return ScsiResult.good(data.flip());
    }

    private void readInto(long offset, byte[] data) throws ScsiException {
        if (data.length == 0) {
            return;
        }
        try {
            device.read(offset, ByteBuffer.wrap(data));
        } catch (IOException e) {
            throw new ScsiException(sense(e, false));
        }
    }

    private ScsiResult write(byte[] cdb, long lba, long count, ByteBuffer out, boolean protectField)
            throws ScsiException {
        checkNoProtection(cdb, protectField);
        checkRange(lba, count);
        if (count > maxTransferBlocks) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        checkWritable();
        boolean fua = (u8(cdb, 1) & 0x08) != 0;
        int length = (int) Math.min(out.remaining(), count * blockSize);
        writeShared(lba * blockSize, out.limit(out.position() + length), fua);
        return ScsiResult.good();
    }

    private void checkWritable() throws ScsiException {
        if (device.isReadOnly()) {
            throw new ScsiException(Sense.WRITE_PROTECTED);
        }
    }

    private void writeShared(long offset, ByteBuffer src, boolean fua) throws ScsiException {
        if (!src.hasRemaining()) {
            return;
        }
        Lock lock = writeLock.readLock();
        lock.lock();
        try {
            device.write(offset, src, fua);
        } catch (IOException e) {
            throw new ScsiException(sense(e, true));
        } finally {
            lock.unlock();
        }
    }

    private ScsiResult verify(byte[] cdb, long lba, long count, byte[] out) throws ScsiException {
        checkNoProtection(cdb, true);
        int bytchk = (u8(cdb, 1) >> 1) & 3;
        if (bytchk == 2) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        checkRange(lba, count);
        if (bytchk == 0 || count == 0) {
            return ScsiResult.good();
        }
        if (count > maxTransferBlocks) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        byte[] medium = new byte[(int) (count * blockSize)];
        readInto(lba * blockSize, medium);
        for (int i = 0; i < medium.length; i++) {
            int j = bytchk == 1 ? i : i % blockSize;
            if (j >= out.length) {
                break;
            }
            if (medium[i] != out[j]) {
                return ScsiResult.check(Sense.miscompare(i));
            }
        }
        return ScsiResult.good();
    }

    /**
     * PRE-FETCH as {@link BlockDevice#cache}: a relocating device fetches the range from its source
     * now. Answers GOOD rather than CONDITION MET, which SBC-3 allows when the device server does
     * not promise that the blocks stay cached. With IMMED the fetch runs in the background.
     */
    private ScsiResult preFetch(byte[] cdb, long lba, long count) throws ScsiException {
        checkRange(lba, count);
        long blocksToFetch = count == 0 ? blocks - lba : count; // 0: up to the end of the medium
        long offset = lba * blockSize;
        long length = blocksToFetch * blockSize;
        if (length == 0) {
            return ScsiResult.good();
        }
        if ((u8(cdb, 1) & 0x02) != 0) {
            Thread.ofVirtual().name("iscsi-prefetch").start(() -> {
                try {
                    device.cache(offset, length);
                } catch (IOException e) {
                    // A hint that failed: the blocks will be read on demand, and fail then if need be.
                }
            });
            return ScsiResult.good();
        }
        try {
            device.cache(offset, length);
        } catch (IOException e) {
            throw new ScsiException(sense(e, false));
        }
        return ScsiResult.good();
    }

    private ScsiResult synchronizeCache(long lba, long count) throws ScsiException {
        checkRange(lba, count);
        try {
            device.flush();
        } catch (IOException e) {
            throw new ScsiException(sense(e, true));
        }
        return ScsiResult.good();
    }

    private ScsiResult writeSame(byte[] cdb, long lba, long count, byte[] out, boolean ndob) throws ScsiException {
        int flags = u8(cdb, 1);
        boolean unmap = (flags & 0x08) != 0;
        if ((flags & 0xe0) != 0 || (flags & 0x10) != 0 || count == 0 || count > MAX_WRITE_SAME_BLOCKS) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        checkRange(lba, count);
        checkWritable();
        if (!ndob && out.length < blockSize) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        byte[] pattern = ndob ? new byte[blockSize] : Arrays.copyOf(out, blockSize);
        long offset = lba * blockSize;
        long length = count * blockSize;
        Lock lock = writeLock.readLock();
        lock.lock();
        try {
            if (isZero(pattern)) {
                device.writeZeroes(offset, length, unmap ? Set.of() : Set.of(ZeroFlag.NO_HOLE));
            } else if (unmap) {
                // Deallocated blocks read as zeroes (LBPRZ), so a non-zero pattern cannot unmap.
                throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
            } else {
                int per = Math.max(1, ZERO_CHUNK / blockSize);
                byte[] chunk = new byte[per * blockSize];
                for (int i = 0; i < per; i++) {
                    System.arraycopy(pattern, 0, chunk, i * blockSize, blockSize);
                }
                for (long done = 0; done < length; ) {
                    int n = (int) Math.min(chunk.length, length - done);
                    device.write(offset + done, ByteBuffer.wrap(chunk, 0, n), false);
                    done += n;
                }
            }
        } catch (IOException e) {
            throw new ScsiException(sense(e, true));
        } finally {
            lock.unlock();
        }
        return ScsiResult.good();
    }

    private ScsiResult unmap(byte[] cdb, byte[] out) throws ScsiException {
        if ((u8(cdb, 1) & 0x01) != 0) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        int paramLength = u16(cdb, 7);
        if (paramLength == 0) {
            return ScsiResult.good();
        }
        if (paramLength < 8 || out.length < 8) {
            throw new ScsiException(Sense.PARAMETER_LIST_LENGTH_ERROR);
        }
        checkWritable();
        int descriptorBytes = Math.min(u16(out, 2), Math.min(paramLength, out.length) - 8);
        int n = descriptorBytes / 16;
        if (n > MAX_UNMAP_DESCRIPTORS) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_PARAMETER_LIST);
        }
        for (int i = 0; i < n; i++) {
            long lba = u64(out, 8 + 16 * i);
            long count = u32(out, 16 + 16 * i);
            if (lba < 0 || lba > blocks || count > blocks - lba) {
                throw new ScsiException(Sense.LBA_OUT_OF_RANGE);
            }
            if (count > MAX_UNMAP_BLOCKS) {
                throw new ScsiException(Sense.INVALID_FIELD_IN_PARAMETER_LIST);
            }
        }
        Lock lock = writeLock.readLock();
        lock.lock();
        try {
            for (int i = 0; i < n; i++) {
                long lba = u64(out, 8 + 16 * i);
                long count = u32(out, 16 + 16 * i);
                if (count > 0) {
                    // writeZeroes, not trim: LBPRZ promises that unmapped blocks read as zeroes.
                    device.writeZeroes(lba * blockSize, count * blockSize, Set.of());
                }
            }
        } catch (IOException e) {
            throw new ScsiException(sense(e, true));
        } finally {
            lock.unlock();
        }
        return ScsiResult.good();
    }

    private ScsiResult compareAndWrite(byte[] cdb, byte[] out) throws ScsiException {
        checkNoProtection(cdb, true);
        long lba = u64(cdb, 2);
        int count = u8(cdb, 13);
        if (count > MAX_COMPARE_AND_WRITE_BLOCKS) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
        }
        checkRange(lba, count);
        if (count == 0) {
            if (out.length > 0) {
                // Data for zero blocks: the count was probably truncated to 8 bits.
                throw new ScsiException(Sense.INVALID_FIELD_IN_CDB);
            }
            return ScsiResult.good();
        }
        checkWritable();
        int half = count * blockSize;
        if (out.length < 2 * half) {
            throw new ScsiException(Sense.INVALID_FIELD_IN_INFORMATION_UNIT);
        }
        boolean fua = (u8(cdb, 1) & 0x08) != 0;
        Lock lock = writeLock.writeLock();
        lock.lock();
        try {
            byte[] medium = new byte[half];
            readInto(lba * blockSize, medium);
            int mismatch = Arrays.mismatch(medium, 0, half, out, 0, half);
            if (mismatch >= 0) {
                return ScsiResult.check(Sense.miscompare(mismatch));
            }
            device.write(lba * blockSize, ByteBuffer.wrap(out, half, half), fua);
        } catch (IOException e) {
            throw new ScsiException(sense(e, true));
        } finally {
            lock.unlock();
        }
        return ScsiResult.good();
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** The sense for a failed device call (see the package documentation for the mapping). */
    static Sense sense(IOException e, boolean writing) {
        if (!(e instanceof BlockDeviceException b)) {
            return writing ? Sense.WRITE_ERROR : Sense.UNRECOVERED_READ_ERROR;
        }
        return switch (b.error()) {
            case IO -> writing ? Sense.WRITE_ERROR : Sense.UNRECOVERED_READ_ERROR;
            case NO_SPACE -> Sense.SPACE_ALLOCATION_FAILED;
            case INVALID -> Sense.LBA_OUT_OF_RANGE;
            case READ_ONLY -> Sense.WRITE_PROTECTED;
            case NOT_SUPPORTED -> Sense.INTERNAL_TARGET_FAILURE;
            case SHUTDOWN -> Sense.NOT_READY;
        };
    }

    static byte[] truncate(byte[] data, long allocationLength) {
        return data.length <= allocationLength ? data : Arrays.copyOf(data, (int) allocationLength);
    }
}
