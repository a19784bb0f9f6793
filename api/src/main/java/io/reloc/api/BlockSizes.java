package io.reloc.api;

/**
 * Block size constraints a device asks its clients to honour (NBD_INFO_BLOCK_SIZE, the SCSI Block
 * Limits VPD page).
 *
 * @param minimum smallest addressable unit in bytes, a power of two between 1 and 65536
 * @param preferred preferred I/O size in bytes, a power of two, at least {@code minimum}
 * @param maximum largest payload of one request in bytes, a multiple of {@code minimum}
 */
public record BlockSizes(int minimum, int preferred, int maximum) {
    /** Byte-addressable, 4 KiB preferred, 32 MiB payloads: what NBD assumes when nothing is said. */
    public static final BlockSizes DEFAULT = new BlockSizes(1, 4096, 32 << 20);

    public BlockSizes {
        if (minimum < 1 || minimum > 65536 || Integer.bitCount(minimum) != 1) {
            throw new IllegalArgumentException("minimum block size must be a power of two in [1, 65536]: " + minimum);
        }
        if (preferred < minimum || Integer.bitCount(preferred) != 1) {
            throw new IllegalArgumentException("preferred block size must be a power of two >= minimum: " + preferred);
        }
        if (maximum < preferred || maximum % minimum != 0) {
            throw new IllegalArgumentException("maximum payload must be >= preferred and a multiple of minimum: " + maximum);
        }
    }
}
