package io.reloc.core.store;

import com.sun.nio.file.ExtendedOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes that bypass the page cache, for data that will not be read soon
 * ({@link io.reloc.api.BlockDevice#writeUncached}): a second descriptor on the store's file,
 * opened with {@code O_DIRECT}. The data goes from the caller's buffer to the disk; the kernel
 * neither copies it into the page cache nor needs a page of memory for it. On the benchmark
 * machine (a virtual machine whose free memory goes back to its host) that copy and those pages
 * were most of the CPU a relocation spent on its cache.
 *
 * <p>A {@link FileChannel}, not a raw call, because a direct write waits for the disk: the JDK
 * lends the virtual-thread scheduler another carrier for such a wait, where a native call would
 * hold one of its few carriers (and with them the network readers) for the duration.
 *
 * <p>On ext4 a direct write that allocates takes the inode's lock exclusively, so such writes go
 * one at a time: the space is best allocated ahead ({@link io.reloc.api.BlockDevice#allocate}).
 *
 * <p>{@code O_DIRECT} wants the buffer's address, the offset and the length aligned to the file
 * system's block size (at least {@value #ALIGNMENT}). Whatever is not aligned, and whatever a
 * direct write fails to write, is left to the caller, who writes it through the page cache; that
 * write reports a real failure (ENOSPC, EIO) with its cause. A file system without
 * {@code O_DIRECT} refuses the open, and a channel closed by an interrupted writer is not used
 * again: both leave every write to the caller.
 *
 * <p>Coherence with the store's buffered descriptor is the kernel's: a direct write first writes
 * back and afterwards invalidates cached pages of its range, and {@code fdatasync} on either
 * descriptor makes both durable (they share the inode). {@code -Dreloc.store.direct=false} turns
 * direct writes off. Thread safe.
 */
final class DirectWrites implements AutoCloseable {
    static final int ALIGNMENT = 4096;
    static final String PROPERTY = "reloc.store.direct";

    private static final Logger log = LoggerFactory.getLogger(DirectWrites.class);
    private static final DirectWrites NONE = new DirectWrites(null, null, ALIGNMENT);

    private final FileChannel channel;
    private final Path path;
    private final long alignment;
    private volatile boolean unusable;

    private DirectWrites(FileChannel channel, Path path, long alignment) {
        this.channel = channel;
        this.path = path;
        this.alignment = alignment;
        this.unusable = channel == null;
    }

    /** Direct writes to {@code path}, or none where the file system (or the configuration) has them off. */
    static DirectWrites open(Path path) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return NONE;
        }
        try {
            long alignment = Math.max(ALIGNMENT, Files.getFileStore(path).getBlockSize());
            return new DirectWrites(FileChannel.open(path, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT), path,
                    alignment);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("{}: no direct writes ({}); background copies go through the page cache", path, e.toString());
            return NONE;
        }
    }

    static DirectWrites none() {
        return NONE;
    }

    /**
     * Writes what it can of {@code src} (a direct buffer, from its position) at {@code offset}:
     * all of it when it is aligned and the write succeeds, none or a prefix otherwise. Leaves
     * {@code src}'s position where it was.
     *
     * @return bytes written, from the first
     */
    long write(ByteBuffer src, long offset) {
        if (!accepts(src, offset)) {
            return 0;
        }
        ByteBuffer view = src.slice();
        try {
            while (view.hasRemaining() && aligned(view.position())) {
                channel.write(view, offset + view.position());
            }
        } catch (ClosedChannelException e) {
            unusable = true;
            log.debug("{}: direct writes stopped ({}); background copies go through the page cache", path, e.toString());
        } catch (IOException e) {
            log.debug("{}: a direct write at {} failed ({}); writing through the page cache", path, offset, e.getMessage());
        }
        return view.position();
    }

    /** Whether {@link #write} would try to write {@code src} at {@code offset} direct. */
    boolean accepts(ByteBuffer src, long offset) {
        return !unusable && src.isDirect() && !src.isReadOnly() && aligned(MemorySegment.ofBuffer(src).address())
                && aligned(offset) && aligned(src.remaining());
    }

    /** Whether writes may still go direct. */
    boolean active() {
        return !unusable;
    }

    private boolean aligned(long value) {
        return value % alignment == 0;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
