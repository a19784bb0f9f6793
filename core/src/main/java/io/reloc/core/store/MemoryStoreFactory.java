package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockStoreFactory;
import io.reloc.api.StoreSpec;

import static java.util.Objects.requireNonNull;

/** Creates {@link MemoryBlockStore}s: volatile {@code "memory"} stores, which need a size. */
public final class MemoryStoreFactory implements BlockStoreFactory {
    public static final String NAME = "memory";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BlockDevice open(StoreSpec spec) {
        requireNonNull(spec, "spec is null");
        long size = spec.size().orElseThrow(() -> new IllegalArgumentException("a memory store needs a size"));
        return new MemoryBlockStore(size, spec.readOnly());
    }
}
