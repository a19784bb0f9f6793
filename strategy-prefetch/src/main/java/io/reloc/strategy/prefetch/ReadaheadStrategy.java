package io.reloc.strategy.prefetch;

import io.reloc.api.CopyContext;
import io.reloc.api.CopyOrder;
import io.reloc.api.CopyStrategy;

/**
 * {@code "readahead"}: linear background copy that first fetches ahead of every sequential
 * stream clients read, with windows that grow while a stream goes on and shrink when it stops
 * (see {@link SequentialStreams} and {@link WindowPolicy}).
 */
public final class ReadaheadStrategy implements CopyStrategy {
    public static final String NAME = "readahead";
    /** Streams followed at once per relocated disk. */
    public static final int MAX_STREAMS = 16;

    @Override
    public String name() {
        return NAME;
    }

    /** Without a block size, assumes Reloc's default of 64 KiB. */
    @Override
    public CopyOrder create(long blockCount) {
        return create(CopyContext.of(blockCount, 64 << 10));
    }

    @Override
    public CopyOrder create(CopyContext context) {
        long blocks = context.blockCount();
        return new ReadaheadOrder(new SequentialStreams(WindowPolicy.forBlockSize(context.blockSize()), MAX_STREAMS, blocks),
                blocks);
    }
}
