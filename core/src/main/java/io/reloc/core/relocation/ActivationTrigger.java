package io.reloc.core.relocation;

/** What made a relocation leave standby; reported in the status. */
public enum ActivationTrigger {
    /** Still in standby. */
    NONE,
    /** Started already active: the source was known to be quiescent. */
    AT_START,
    /** An orchestrator called activate through the control plane. */
    CONTROL,
    /** The first write arrived: the VM runs at the destination. */
    FIRST_WRITE
}
