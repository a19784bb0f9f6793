package io.reloc.core.relocation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.Files;
import java.util.Optional;
import java.util.UUID;

/**
 * Marks a cache file with the id of its relocation, in an extended attribute
 * ({@code user.reloc.cache-id}), so that a map is never applied to a different cache file: a
 * replaced or re-created cache would otherwise inherit bits claiming data it does not hold.
 */
final class CacheId {
    private static final Logger log = LoggerFactory.getLogger(CacheId.class);
    private static final String ATTRIBUTE = "reloc.cache-id";

    private CacheId() {}

    /** The id stored on the file; empty if there is none or the filesystem keeps no attributes. */
    static Optional<String> read(Path cache) {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(cache, UserDefinedFileAttributeView.class);
        try {
            if (view == null || !view.list().contains(ATTRIBUTE)) {
                return Optional.empty();
            }
            ByteBuffer value = ByteBuffer.allocate(view.size(ATTRIBUTE));
            view.read(ATTRIBUTE, value);
            return Optional.of(new String(value.array(), 0, value.position(), StandardCharsets.UTF_8));
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Stores a new id on the file and returns it; "" when the filesystem cannot keep it. */
    static String assign(Path cache) {
        String id = UUID.randomUUID().toString();
        UserDefinedFileAttributeView view = Files.getFileAttributeView(cache, UserDefinedFileAttributeView.class);
        try {
            if (view == null) {
                throw new UnsupportedOperationException("no user attributes");
            }
            view.write(ATTRIBUTE, ByteBuffer.wrap(id.getBytes(StandardCharsets.UTF_8)));
            return id;
        } catch (IOException | UnsupportedOperationException e) {
            log.warn("the filesystem of {} keeps no extended attributes ({}); a replaced cache file cannot be detected",
                    cache, e.getMessage());
            return "";
        }
    }
}
