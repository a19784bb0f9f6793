package io.reloc.api;

/**
 * A run of bytes with uniform allocation status, as NBD's {@code base:allocation} reports it.
 *
 * @param length length in bytes, positive
 * @param hole the range is not allocated in the backing store (reads as zeroes unless {@code zero}
 *     is false, which a hole never is in a local store)
 * @param zero the range is known to read as zeroes
 */
public record Extent(long length, boolean hole, boolean zero) {
    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length must be positive: " + length);
        }
    }

    public static Extent data(long length) {
        return new Extent(length, false, false);
    }

    public static Extent hole(long length) {
        return new Extent(length, true, true);
    }
}
