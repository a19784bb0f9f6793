package io.reloc.api;

import static java.util.Objects.requireNonNull;

/**
 * A device offered to clients under a name.
 *
 * @param name what clients ask for (NBD export name, the last part of an iSCSI IQN)
 * @param description free text shown by listing clients; may be empty, never null
 * @param device the device served; shared by every connection to this export
 */
public record Export(String name, String description, BlockDevice device) {
    public Export {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        requireNonNull(device, "device is null");
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 4096 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("export name must be at most 4096 UTF-8 bytes without NUL: " + name);
        }
    }
}
