package io.reloc.nbd.interop;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * One export an {@link NbdTarget} serves.
 *
 * @param name NBD export name
 * @param description text listing clients show; empty for none
 * @param file backing file, which must exist with the export's size
 * @param readOnly serve without write access
 */
record TargetExport(String name, String description, Path file, boolean readOnly) {
    TargetExport {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        requireNonNull(file, "file is null");
    }

    static TargetExport writable(String name, Path file) {
        return new TargetExport(name, "", file, false);
    }

    static TargetExport readOnly(String name, Path file) {
        return new TargetExport(name, "", file, true);
    }
}
