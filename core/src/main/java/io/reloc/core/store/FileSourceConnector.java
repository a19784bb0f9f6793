package io.reloc.core.store;

import io.reloc.api.BlockDevice;
import io.reloc.api.SourceConnector;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * Sources in local files or block devices: {@code file:/var/lib/images/disk.img} (absolute) or
 * {@code file:disk.img} (relative to the working directory), opened read-only as a
 * {@link FileBlockStore}, so relocation copies only the allocated extents.
 */
public final class FileSourceConnector implements SourceConnector {
    public static final String SCHEME = "file";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public BlockDevice open(URI uri) throws IOException {
        requireNonNull(uri, "uri is null");
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a file URI: " + uri);
        }
        Path path = path(uri);
        try {
            return FileBlockStore.open(path, OptionalLong.empty(), true);
        } catch (IOException e) {
            throw new IOException("cannot open source " + uri + ": " + e.getMessage(), e);
        }
    }

    private static Path path(URI uri) {
        if (uri.isOpaque()) {
            // file:disk.img — a relative path, which Path.of(URI) refuses.
            return Path.of(uri.getSchemeSpecificPart());
        }
        if (uri.getAuthority() != null && !uri.getAuthority().equals("localhost")) {
            throw new IllegalArgumentException("file source " + uri + " names host '" + uri.getAuthority()
                    + "'; a file source must be local (file:/path or file:///path)");
        }
        return Path.of(uri.getPath());
    }
}
