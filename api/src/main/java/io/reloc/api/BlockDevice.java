package io.reloc.api;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

/**
 * A disk that a front end exports: a plain local store, a read-only view, or a relocating proxy.
 *
 * <p>Thread safety: every method may be called concurrently from many threads and connections.
 * Durability is device-wide: {@link #flush()} persists every write that completed before it was
 * called, on whichever thread or connection it was made, which is what lets NBD advertise
 * CAN_MULTI_CONN.
 *
 * <p>Ranges: callers pass {@code offset >= 0} and ranges inside {@link #size()}; a device checks
 * anyway and throws {@link BlockDeviceException} with {@link BlockError#INVALID} otherwise.
 *
 * <p>Buffers are owned by the caller and are never retained after a call returns.
 */
public interface BlockDevice extends Closeable {

    /** Size in bytes; fixed for the lifetime of the device. */
    long size();

    /** Constraints the front end advertises to clients. */
    default BlockSizes blockSizes() {
        return BlockSizes.DEFAULT;
    }

    /** Whether writes, trims and write-zeroes are refused with {@link BlockError#READ_ONLY}. */
    boolean isReadOnly();

    /**
     * Reads exactly {@code dst.remaining()} bytes starting at {@code offset} into {@code dst},
     * advancing its position to its limit.
     *
     * @throws BlockDeviceException on an invalid range or a failed read
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /**
     * Writes all of {@code src.remaining()} bytes at {@code offset}, advancing its position.
     *
     * @param fua the data is durable when the call returns
     * @throws BlockDeviceException READ_ONLY, NO_SPACE, INVALID or IO
     */
    void write(long offset, ByteBuffer src, boolean fua) throws IOException;

    /** Makes every completed write durable (fdatasync, SYNCHRONIZE CACHE, NBD_CMD_FLUSH). */
    void flush() throws IOException;

    /**
     * Tells the device that a range is no longer needed. Advisory: later reads of the range return
     * either the old data or zeroes; a local store deallocates and reads zeroes.
     */
    void trim(long offset, long length, boolean fua) throws IOException;

    /**
     * Makes a range read as zeroes. Without {@link ZeroFlag#NO_HOLE} the device may deallocate it.
     *
     * @throws BlockDeviceException NOT_SUPPORTED only when {@link ZeroFlag#FAST_ONLY} is given and
     *     zeroing would not be fast
     */
    void writeZeroes(long offset, long length, Set<ZeroFlag> flags) throws IOException;

    /**
     * Hints that a range will be read soon. A relocating device fetches it from its source now;
     * a local store does nothing.
     */
    default void cache(long offset, long length) throws IOException {}

    /**
     * Hints that a range is about to be written, most likely whole: a store may reserve its space
     * now, in one step, rather than piecemeal as the writes come (a file store allocates it with
     * {@code fallocate}, after which its writes go faster). Changes no data: the range reads as
     * before, and a range that read as zeroes may be allocated and still read as zeroes. The
     * default does nothing.
     */
    default void allocate(long offset, long length) throws IOException {}

    /**
     * {@link #write(long, ByteBuffer, boolean) write(offset, src, false)} of data that no client is
     * expected to read soon: a relocation's background copy writes a whole disk that nobody has
     * asked for yet. A store may keep such data out of its memory cache (a file store writes it
     * straight to disk, or drops it from the page cache once written), so that the copy neither
     * pushes out what clients do read nor costs a fresh page of memory per page copied. The data
     * and its durability are those of a write without FUA; the default is exactly that write.
     *
     * @throws BlockDeviceException as {@link #write}
     */
    default void writeUncached(long offset, ByteBuffer src) throws IOException {
        write(offset, src, false);
    }

    /**
     * Allocation status of a prefix of {@code [offset, offset + length)}: at least one extent,
     * starting at {@code offset}, none of zero length, together no longer than {@code length}.
     * The default reports everything as allocated data, which is always true if not informative.
     */
    default List<Extent> extents(long offset, long length) throws IOException {
        return List.of(Extent.data(length));
    }

    /** Flushes nothing by itself; releases files and connections. Idempotent. */
    @Override
    void close() throws IOException;
}
