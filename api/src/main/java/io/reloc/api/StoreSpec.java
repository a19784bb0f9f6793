package io.reloc.api;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * What local store to open.
 *
 * @param path backing file, for stores that have one
 * @param size size in bytes of a store to create or to resize a new file to; empty to use an
 *     existing file's size
 * @param readOnly open without write access
 */
public record StoreSpec(Optional<Path> path, OptionalLong size, boolean readOnly) {
    public StoreSpec {
        requireNonNull(path, "path is null");
        requireNonNull(size, "size is null");
        if (size.isPresent() && size.getAsLong() < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size.getAsLong());
        }
    }

    public static StoreSpec file(Path path, boolean readOnly) {
        return new StoreSpec(Optional.of(path), OptionalLong.empty(), readOnly);
    }

    public static StoreSpec memory(long size) {
        return new StoreSpec(Optional.empty(), OptionalLong.of(size), false);
    }
}
