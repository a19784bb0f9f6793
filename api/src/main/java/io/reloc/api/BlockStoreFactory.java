package io.reloc.api;

import java.io.IOException;

/** Opens local stores of one kind (e.g. {@code "file"}, {@code "memory"}). */
public interface BlockStoreFactory {

    String name();

    /**
     * Opens (or creates) a store.
     *
     * @throws IOException with a message naming the path when it is missing, unreadable or not a
     *     regular file or block device
     * @throws IllegalArgumentException when the spec lacks what this kind needs
     */
    BlockDevice open(StoreSpec spec) throws IOException;
}
