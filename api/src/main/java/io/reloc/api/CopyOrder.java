package io.reloc.api;

/**
 * The order in which a relocation's background copier visits the disk: after the copier has
 * planned up to {@code cursor}, where it looks next. The copier skips blocks that are already
 * present, so an order need not track presence. One instance per relocation, used from the
 * copier's thread only.
 */
@FunctionalInterface
public interface CopyOrder {

    /**
     * @param cursor the block after the last one the copier planned (0 at the start of a pass)
     * @return the block to look at next, in {@code [0, blockCount)}; the copier copies the first
     *     absent block at or after it
     */
    long next(long cursor);
}
