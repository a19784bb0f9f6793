package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.BlockStoreFactory;
import io.reloc.api.StoreSpec;

import java.io.IOException;

import static java.util.Objects.requireNonNull;

/** Opens {@link FileBlockStore}s: {@code "file"} stores, which need a path and take an optional size. */
public final class FileStoreFactory implements BlockStoreFactory {
    public static final String NAME = "file";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BlockDevice open(StoreSpec spec) throws IOException {
        requireNonNull(spec, "spec is null");
        return FileBlockStore.open(
                spec.path().orElseThrow(() -> new IllegalArgumentException("a file store needs a path")),
                spec.size(), spec.readOnly());
    }
}
