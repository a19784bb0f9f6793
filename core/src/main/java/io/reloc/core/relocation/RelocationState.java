package io.reloc.core.relocation;

/** Where a relocation stands. Persisted in the map file, so it survives restarts. */
public enum RelocationState {
    /** Before switch-over: reads are forwarded to the source and nothing is kept. */
    STANDBY,
    /** After switch-over: copy-on-read, local writes, background copy. */
    ACTIVE,
    /** Every block is local and the map says so durably; the source is no longer used. */
    COMPLETE,
    /**
     * Before switch-over, with hybrid pre-copy: reads are forwarded as in standby, and blocks are
     * copied in the background but not trusted until activation, when the source says which of
     * them were written since. (Last, so that the ordinals stored in map files keep their meaning.)
     */
    PRECOPY
}
