package io.reloc.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks an export's image before any store opens it, so that the usual mistakes give a message
 * that says what to do rather than whatever the store's exception says.
 */
final class ImageFiles {
    private ImageFiles() {}

    /** @throws CliException if the image is missing, a directory, or lacks the needed permission */
    static void check(ExportSpec spec) {
        Path path = spec.path();
        String which = " (export '" + spec.name() + "')";
        if (!Files.exists(path)) {
            throw new CliException("image file " + path + " does not exist" + which + ": check the path, or create it, e.g. truncate -s 1G " + path);
        }
        if (Files.isDirectory(path)) {
            throw new CliException(path + " is a directory" + which + ": --export needs a disk image file");
        }
        if (!Files.isReadable(path)) {
            throw new CliException("cannot read image file " + path + which + ": permission denied");
        }
        if (!spec.readOnly() && !Files.isWritable(path)) {
            throw new CliException("cannot write image file " + path + which + ": permission denied; add ',readonly' to export it read-only");
        }
    }
}
