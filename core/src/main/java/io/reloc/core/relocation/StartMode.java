package io.reloc.core.relocation;

/** How a relocation that has not been activated yet starts. */
public enum StartMode {
    /** Standby: reads forwarded, nothing kept, nothing copied until activation. */
    STANDBY,
    /**
     * Hybrid pre-copy: as standby, but blocks are copied in the background meanwhile, and at
     * activation the source says which of them it received writes for since. Needs a source that
     * tracks writes (a Reloc server).
     */
    PRECOPY,
    /** Active at once: the source is quiescent (a stopped VM, a cold move). */
    ACTIVE
}
