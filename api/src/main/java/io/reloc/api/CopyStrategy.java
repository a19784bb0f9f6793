package io.reloc.api;

/**
 * A background-copy strategy, contributed by a plugin under {@link #name()} (e.g.
 * {@code "linear"}) and chosen by name in configuration.
 */
public interface CopyStrategy {

    String name();

    /** The order for one relocation of a disk of {@code blockCount} blocks. */
    CopyOrder create(long blockCount);

    /**
     * The order for one relocation, knowing more about it (block size, the source's heat map). What
     * the relocation engine calls; the default ignores the extra knowledge.
     */
    default CopyOrder create(CopyContext context) {
        return create(context.blockCount());
    }
}
