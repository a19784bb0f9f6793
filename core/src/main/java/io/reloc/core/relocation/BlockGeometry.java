package io.reloc.core.relocation;

/**
 * How a device of {@code size} bytes divides into relocation blocks of {@code blockSize} bytes; the
 * last block may be shorter.
 */
public record BlockGeometry(long size, int blockSize) {
    public BlockGeometry {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        if (blockSize < 512 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two of at least 512: " + blockSize);
        }
    }

    public long blockCount() {
        return (size + blockSize - 1) / blockSize;
    }

    public long blockOf(long offset) {
        return offset / blockSize;
    }

    public long start(long block) {
        return block * blockSize;
    }

    public int length(long block) {
        return (int) Math.min(blockSize, size - start(block));
    }

    /** Whether {@code [offset, offset + length)} covers all of {@code block}. */
    public boolean covers(long offset, long length, long block) {
        long start = start(block);
        return offset <= start && offset + length >= start + length(block);
    }
}
