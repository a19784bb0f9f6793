package io.reloc.core.relocation;

/** Where a relocation stands. Persisted in the map file, so it survives restarts. */
public enum RelocationState {
    /** Before switch-over: reads are forwarded to the source and nothing is kept. */
    STANDBY,
    /** After switch-over: copy-on-read, local writes, background copy. */
    ACTIVE,
    /** Every block is local and the map says so durably; the source is no longer used. */
    COMPLETE
}
