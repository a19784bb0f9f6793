package io.reloc.api;

/**
 * A byte range of a disk and how much it was used lately: the unit of an access heat map.
 * Heat has no unit; only its order among the regions of one map matters (hotter first).
 *
 * @param offset first byte, {@code >= 0}
 * @param length bytes, {@code >= 1}
 * @param heat {@code >= 0}, finite
 */
public record HotRegion(long offset, long length, double heat) {
    public HotRegion {
        if (offset < 0 || length < 1 || !(heat >= 0) || Double.isInfinite(heat)) {
            throw new IllegalArgumentException("a hot region has offset >= 0, length >= 1 and a finite heat >= 0: "
                    + offset + "+" + length + " heat " + heat);
        }
    }
}
