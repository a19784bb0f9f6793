package io.reloc.bench.workload;

/**
 * What the driver asks a relocation to tell whether a read waited for the source. Both answers
 * must be cheap: they are asked around every read.
 */
public interface StallProbe {
    /** Nothing is relocating: no read ever stalls. */
    StallProbe NONE = new StallProbe() {
        @Override
        public long demandFetches() {
            return 0;
        }

        @Override
        public boolean absent(long offset, int length) {
            return false;
        }
    };

    /** The relocation's demand-fetch counter (blocks fetched for clients so far). */
    long demandFetches();

    /** Whether any block of {@code length} bytes at {@code offset} is absent at the destination now. */
    boolean absent(long offset, int length);
}
