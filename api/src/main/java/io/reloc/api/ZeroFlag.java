package io.reloc.api;

/** Options of {@link BlockDevice#writeZeroes}. */
public enum ZeroFlag {
    /** Persist before returning, as {@link BlockDevice#write} with {@code fua}. */
    FUA,
    /** Keep the range allocated: write zeroes rather than punching a hole. */
    NO_HOLE,
    /** Fail with {@link BlockError#NOT_SUPPORTED} rather than zero slowly (by writing buffers). */
    FAST_ONLY
}
