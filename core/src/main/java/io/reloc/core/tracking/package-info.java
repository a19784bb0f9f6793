/**
 * Hybrid pre-copy's bookkeeping of source writes. At the source, a {@link
 * io.reloc.core.tracking.TrackedDevice} records every write of an export into the sessions of its
 * {@link io.reloc.core.tracking.WriteTracker}; at the destination, a relocation asks its source,
 * through {@link io.reloc.core.tracking.SourceTracking}, which blocks were written since it copied
 * them ({@link io.reloc.core.tracking.DirtyBlocks}).
 */
package io.reloc.core.tracking;
