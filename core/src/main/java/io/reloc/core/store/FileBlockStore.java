package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.Extent;
import io.reloc.api.ZeroFlag;
import io.reloc.core.store.LinuxFiles.ErrnoException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static java.util.Objects.requireNonNull;

/**
 * A store in a local file (kept sparse) or a block device, on Linux.
 *
 * <p>All I/O goes through one raw file descriptor opened with {@code open(2)} and used with
 * {@code pread}/{@code pwrite}/{@code fdatasync}/{@code fallocate}/{@code lseek} (see
 * {@link LinuxFiles}), rather than a {@link java.nio.channels.FileChannel}: a FileChannel hides
 * its descriptor, which hole punching and {@code SEEK_DATA} need, and it closes itself when a
 * thread blocked in it is interrupted, which would take the whole export down with one cancelled
 * request. Direct buffers (what the network front ends use) are read and written in place; heap
 * buffers go through a native bounce buffer of at most {@value #BOUNCE_SIZE} bytes.
 *
 * <p>Holes: trim and write-zeroes without {@link ZeroFlag#NO_HOLE} punch holes
 * ({@code FALLOC_FL_PUNCH_HOLE}); write-zeroes with NO_HOLE uses {@code FALLOC_FL_ZERO_RANGE}.
 * Where the file system lacks either, zeroes are written instead, unless the caller asked for
 * {@link ZeroFlag#FAST_ONLY}. {@link #extents} reports the file's holes from {@code SEEK_HOLE}.
 *
 * <p>Thread safety: every method may be called concurrently. There is one descriptor per store,
 * so {@link #flush()} is device-wide. A read-write lock keeps {@link #close()} from releasing the
 * descriptor while a call still uses it (a reused descriptor number would hit another file).
 */
public final class FileBlockStore implements BlockDevice {
    /** Largest native bounce buffer for heap buffers, and size of the zero buffer. */
    static final int BOUNCE_SIZE = 1 << 20;
    /** Most extents one {@link #extents} call returns; the caller asks again for the rest. */
    static final int MAX_EXTENTS = 1024;

    private static final MemorySegment ZEROES = Arena.global().allocate(BOUNCE_SIZE, 4096);

    private final Path path;
    private final int fd;
    private final long size;
    private final boolean readOnly;
    private final boolean blockDevice;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final Writeback writeback;
    private final PageCacheRelease release;
    private final DirectWrites direct;
    private boolean closed;
    // Learned on first failure, so an unsupporting file system costs one failed system call only.
    private volatile boolean punchUnsupported;
    private volatile boolean zeroRangeUnsupported;
    private volatile boolean seekDataUnsupported;
    private volatile boolean allocateUnsupported;

    private FileBlockStore(Path path, int fd, long size, boolean readOnly, boolean blockDevice) {
        this.path = requireNonNull(path, "path is null");
        this.direct = readOnly ? DirectWrites.none() : DirectWrites.open(path);
        this.fd = fd;
        this.size = size;
        this.readOnly = readOnly;
        this.blockDevice = blockDevice;
        this.writeback = new Writeback((offset, length) -> LinuxFiles.startWriteback(fd, offset, length), readOnly ? 0 : Writeback.configuredAfter());
        this.release = new PageCacheRelease(new PageCacheRelease.Calls() {
            @Override
            public void startWriteback(long offset, long length) throws ErrnoException {
                LinuxFiles.startWriteback(fd, offset, length);
            }

            @Override
            public void writeAndDrop(long offset, long length) throws ErrnoException {
                LinuxFiles.writeAndDrop(fd, offset, length);
            }
        }, PageCacheRelease.configuredLag());
    }

    /**
     * Opens {@code path}, a regular file or a block device.
     *
     * @param size when present and the file is missing or smaller, the file is created or
     *     extended (sparsely) to this size; a larger file keeps its size (nothing is truncated)
     * @throws IOException with a message naming the path when it is missing (and no size is given),
     *     a directory, not a file or block device, unreadable, or too small for a read-only store
     */
    public static FileBlockStore open(Path path, OptionalLong size, boolean readOnly) throws IOException {
        requireNonNull(path, "path is null");
        requireNonNull(size, "size is null");
        Path absolute = path.toAbsolutePath();
        boolean exists = Files.exists(absolute);
        if (!exists && size.isEmpty()) {
            throw new IOException("no such file: " + absolute + " (give a size to create it)");
        }
        if (!exists && readOnly) {
            throw new IOException("no such file: " + absolute + " (a read-only store cannot create it)");
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException(absolute + " is a directory; give the path of a disk image file or a block device");
        }
        boolean blockDevice = exists && isBlockDevice(absolute);
        if (exists && !blockDevice && !Files.isRegularFile(absolute)) {
            throw new IOException(absolute + " is neither a regular file nor a block device");
        }
        int flags = (readOnly ? LinuxFiles.O_RDONLY : LinuxFiles.O_RDWR) | LinuxFiles.O_CLOEXEC
                | (exists ? 0 : LinuxFiles.O_CREAT);
        int fd;
        try {
            fd = LinuxFiles.open(absolute.toString(), flags, 0666);
        } catch (ErrnoException e) {
            throw openFailure(absolute, readOnly, e);
        }
        try {
            long current = LinuxFiles.lseek(fd, 0, LinuxFiles.SEEK_END);
            long wanted = size.orElse(current);
            if (current < wanted) {
                if (readOnly || blockDevice) {
                    throw new IOException(absolute + " holds " + current + " bytes, fewer than the " + wanted
                            + " requested" + (readOnly ? " (a read-only store cannot grow it)" : ""));
                }
                LinuxFiles.ftruncate(fd, wanted);
                current = wanted;
            }
            return new FileBlockStore(absolute, fd, current, readOnly, blockDevice);
        } catch (IOException | RuntimeException e) {
            try {
                LinuxFiles.close(fd);
            } catch (ErrnoException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof ErrnoException errno) {
                throw new IOException("cannot size " + absolute + ": " + errno.reason(), e);
            }
            throw e;
        }
    }

    /** The absolute path of the backing file. */
    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int length = dst.remaining();
        lock.readLock().lock();
        try {
            checkOpen();
            Ranges.check(offset, length, size);
            if (dst.isDirect()) {
                readFully(MemorySegment.ofBuffer(dst), offset);
            } else {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment bounce = arena.allocate(Math.min(length, BOUNCE_SIZE));
                    MemorySegment target = MemorySegment.ofBuffer(dst);
                    for (long done = 0; done < length; ) {
                        int chunk = (int) Math.min(bounce.byteSize(), length - done);
                        readFully(bounce.asSlice(0, chunk), offset + done);
                        target.asSlice(done, chunk).copyFrom(bounce.asSlice(0, chunk));
                        done += chunk;
                    }
                }
            }
            dst.position(dst.limit());
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
        lock.readLock().lock();
        try {
            checkWritable(offset, src.remaining());
            writeBuffered(offset, src);
            if (fua) {
                sync();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Straight to disk where it can ({@link DirectWrites}); what cannot is written through the
     * page cache and then dropped from it once on disk ({@link PageCacheRelease}).
     */
    @Override
    public void writeUncached(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        lock.readLock().lock();
        try {
            checkWritable(offset, length);
            long written = direct.write(src, offset);
            if (written < length) {
                src.position(src.position() + (int) written);
                writeBuffered(offset + written, src);
                release.released(offset + written, length - written);
            }
            src.position(src.limit());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Writes all of {@code src} through the page cache; call with the read lock held. */
    private void writeBuffered(long offset, ByteBuffer src) throws IOException {
        int length = src.remaining();
        // A read-only direct buffer cannot be handed to native code as is; bounce it.
        if (src.isDirect() && !src.isReadOnly()) {
            writeFully(MemorySegment.ofBuffer(src), offset);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment bounce = arena.allocate(Math.min(length, BOUNCE_SIZE));
                MemorySegment source = MemorySegment.ofBuffer(src);
                for (long done = 0; done < length; ) {
                    int chunk = (int) Math.min(bounce.byteSize(), length - done);
                    bounce.asSlice(0, chunk).copyFrom(source.asSlice(done, chunk));
                    writeFully(bounce.asSlice(0, chunk), offset + done);
                    done += chunk;
                }
            }
        }
        src.position(src.limit());
    }

    @Override
    public void flush() throws IOException {
        lock.readLock().lock();
        try {
            checkOpen();
            if (!readOnly) {
                sync();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void trim(long offset, long length, boolean fua) throws IOException {
        writeZeroes(offset, length, fua ? Set.of(ZeroFlag.FUA) : Set.of());
    }

    @Override
    public void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException {
        requireNonNull(flags, "flags is null");
        lock.readLock().lock();
        try {
            checkWritable(offset, length);
            if (length > 0) {
                boolean keepAllocated = flags.contains(ZeroFlag.NO_HOLE);
                boolean fast = keepAllocated ? zeroRange(offset, length) : punchHole(offset, length);
                if (!fast) {
                    if (flags.contains(ZeroFlag.FAST_ONLY)) {
                        throw new BlockDeviceException(BlockError.NOT_SUPPORTED, "the file system of " + path
                                + " cannot " + (keepAllocated ? "zero a range" : "punch holes") + " quickly");
                    }
                    writeZeroBuffers(offset, length);
                }
            }
            if (flags.contains(ZeroFlag.FUA)) {
                sync();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Allocates the range ({@code fallocate}, keeping the size). ext4 takes its inode lock
     * exclusively for a direct write that allocates, so such writes go one at a time, while
     * writes into allocated space share it: a relocation that wrote a sparse cache direct took
     * 1.1-1.4 s per GiB on the benchmark machine, 0.8-0.9 s with the range allocated first. Only
     * a hint: where it fails (a block device, a file system without it, a full disk) the writes
     * go ahead and report what they must.
     */
    @Override
    public void allocate(long offset, long length) throws IOException {
        lock.readLock().lock();
        try {
            checkWritable(offset, length);
            if (length == 0 || blockDevice || allocateUnsupported) {
                return;
            }
            LinuxFiles.fallocate(fd, LinuxFiles.FALLOC_FL_KEEP_SIZE, offset, length);
        } catch (ErrnoException e) {
            allocateUnsupported = unsupported(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public List<Extent> extents(long offset, long length) throws IOException {
        lock.readLock().lock();
        try {
            checkOpen();
            Ranges.check(offset, length, size);
            if (length == 0) {
                return List.of();
            }
            if (blockDevice || seekDataUnsupported) {
                return List.of(Extent.data(length));
            }
            List<Extent> extents = new ArrayList<>();
            long end = offset + length;
            long position = offset;
            while (position < end && extents.size() < MAX_EXTENTS) {
                long dataStart;
                try {
                    dataStart = LinuxFiles.lseek(fd, position, LinuxFiles.SEEK_DATA);
                } catch (ErrnoException e) {
                    if (e.errno() == LinuxFiles.ENXIO) {
                        dataStart = end; // no data up to the end of the file
                    } else if (e.errno() == LinuxFiles.EINVAL || e.errno() == LinuxFiles.EOPNOTSUPP) {
                        seekDataUnsupported = true;
                        extents.add(Extent.data(end - position));
                        break;
                    } else {
                        throw failure("find the data of", position, end - position, e);
                    }
                }
                if (dataStart > position) {
                    long holeEnd = Math.min(dataStart, end);
                    extents.add(Extent.hole(holeEnd - position));
                    position = holeEnd;
                    continue;
                }
                long holeStart;
                try {
                    holeStart = LinuxFiles.lseek(fd, position, LinuxFiles.SEEK_HOLE);
                } catch (ErrnoException e) {
                    if (e.errno() != LinuxFiles.ENXIO) {
                        throw failure("find the holes of", position, end - position, e);
                    }
                    holeStart = end; // the file shrank behind our back; report the rest as data
                }
                long dataEnd = Math.min(Math.max(holeStart, position + 1), end);
                extents.add(Extent.data(dataEnd - position));
                position = dataEnd;
            }
            return List.copyOf(extents);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Releases the descriptor once calls in progress have returned. Idempotent. */
    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                direct.close();
            } finally {
                LinuxFiles.close(fd);
            }
        } catch (ErrnoException e) {
            throw new IOException("cannot close " + path + ": " + e.reason(), e);
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "FileBlockStore[" + path + ", " + size + " bytes" + (readOnly ? ", read-only" : "") + "]";
    }

    /** @return false when the file system cannot punch holes */
    private boolean punchHole(long offset, long length) throws IOException {
        if (punchUnsupported) {
            return false;
        }
        try {
            LinuxFiles.fallocate(fd, LinuxFiles.FALLOC_FL_PUNCH_HOLE | LinuxFiles.FALLOC_FL_KEEP_SIZE, offset, length);
            return true;
        } catch (ErrnoException e) {
            if (unsupported(e)) {
                punchUnsupported = true;
                return false;
            }
            if (misaligned(e)) {
                return false;
            }
            throw failure("punch a hole in", offset, length, e);
        }
    }

    /** @return false when the file system cannot zero a range without writing */
    private boolean zeroRange(long offset, long length) throws IOException {
        if (zeroRangeUnsupported) {
            return false;
        }
        try {
            LinuxFiles.fallocate(fd, LinuxFiles.FALLOC_FL_ZERO_RANGE | LinuxFiles.FALLOC_FL_KEEP_SIZE, offset, length);
            return true;
        } catch (ErrnoException e) {
            if (unsupported(e)) {
                zeroRangeUnsupported = true;
                return false;
            }
            if (misaligned(e)) {
                return false;
            }
            throw failure("zero", offset, length, e);
        }
    }

    private static boolean unsupported(ErrnoException e) {
        return e.errno() == LinuxFiles.EOPNOTSUPP || e.errno() == LinuxFiles.ENOSYS;
    }

    /** Block devices refuse ranges not aligned to their logical block size; those are written instead. */
    private boolean misaligned(ErrnoException e) {
        return blockDevice && e.errno() == LinuxFiles.EINVAL;
    }

    private void writeZeroBuffers(long offset, long length) throws IOException {
        for (long done = 0; done < length; ) {
            int chunk = (int) Math.min(ZEROES.byteSize(), length - done);
            writeFully(ZEROES.asSlice(0, chunk), offset + done);
            done += chunk;
        }
    }

    private void readFully(MemorySegment target, long offset) throws IOException {
        long length = target.byteSize();
        for (long done = 0; done < length; ) {
            long n;
            try {
                n = LinuxFiles.pread(fd, target.asSlice(done), offset + done);
            } catch (ErrnoException e) {
                throw failure("read", offset, length, e);
            }
            if (n == 0) {
                throw new BlockDeviceException(BlockError.IO, "unexpected end of " + path + " at byte " + (offset + done)
                        + ": did another program truncate it?");
            }
            done += n;
        }
    }

    private void writeFully(MemorySegment source, long offset) throws IOException {
        long length = source.byteSize();
        for (long done = 0; done < length; ) {
            try {
                done += LinuxFiles.pwrite(fd, source.asSlice(done), offset + done);
            } catch (ErrnoException e) {
                throw failure("write", offset, length, e);
            }
        }
        writeback.written(offset, length);
    }

    private void sync() throws IOException {
        try {
            LinuxFiles.fdatasync(fd);
        } catch (ErrnoException e) {
            throw new BlockDeviceException(e.errno() == LinuxFiles.ENOSPC || e.errno() == LinuxFiles.EDQUOT
                    ? BlockError.NO_SPACE : BlockError.IO, e.reason() + ": cannot flush " + path, e);
        }
    }

    private BlockDeviceException failure(String what, long offset, long length, ErrnoException e) {
        BlockError error = switch (e.errno()) {
            case LinuxFiles.ENOSPC, LinuxFiles.EDQUOT -> BlockError.NO_SPACE;
            case LinuxFiles.EROFS -> BlockError.READ_ONLY;
            default -> BlockError.IO;
        };
        return new BlockDeviceException(error,
                e.reason() + ": cannot " + what + " " + path + " [" + offset + ", +" + length + ")", e);
    }

    private void checkOpen() throws BlockDeviceException {
        if (closed) {
            throw new BlockDeviceException(BlockError.SHUTDOWN, "the store " + path + " is closed");
        }
    }

    private void checkWritable(long offset, long length) throws BlockDeviceException {
        checkOpen();
        if (readOnly) {
            throw new BlockDeviceException(BlockError.READ_ONLY, "the store " + path + " is read-only");
        }
        Ranges.check(offset, length, size);
    }

    private static boolean isBlockDevice(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        return (mode & 0170000) == 0060000;
    }

    private static IOException openFailure(Path path, boolean readOnly, ErrnoException e) {
        return switch (e.errno()) {
            case LinuxFiles.ENOENT -> new IOException("no such file: " + path, e);
            case LinuxFiles.EACCES -> new IOException("permission denied: " + path + " (check its owner and mode"
                    + (readOnly ? ")" : ", or open it read-only)"), e);
            case LinuxFiles.EISDIR -> new IOException(path + " is a directory; give the path of a disk image file", e);
            case LinuxFiles.EROFS -> new IOException(path + " is on a read-only file system; open it read-only", e);
            default -> new IOException("cannot open " + path + ": " + e.reason(), e);
        };
    }
}
