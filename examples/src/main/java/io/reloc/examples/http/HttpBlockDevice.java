package io.reloc.examples.http;

import io.reloc.api.BlockDeviceException;
import io.reloc.api.BlockError;
import io.reloc.api.ReadOnlyBlockDevice;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;

import static java.util.Objects.requireNonNull;

/**
 * A disk image on a web server, read with one ranged {@code GET} per read. Read-only, as every
 * relocation source is; allocation is not known, so every extent is reported as data (the
 * {@link io.reloc.api.BlockDevice#extents default}). Thread safe: {@link HttpClient} is.
 */
final class HttpBlockDevice implements ReadOnlyBlockDevice {
    private final HttpClient client;
    private final URI uri;
    private final long size;

    HttpBlockDevice(HttpClient client, URI uri, long size) {
        this.client = requireNonNull(client, "client is null");
        this.uri = requireNonNull(uri, "uri is null");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        int length = dst.remaining();
        if (offset < 0 || offset > size - length) {
            throw new BlockDeviceException(BlockError.INVALID,
                    "read of " + length + " bytes at " + offset + " is outside the " + size + "-byte image " + uri);
        }
        if (length == 0) {
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .header("Range", "bytes=" + offset + "-" + (offset + length - 1))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading " + uri);
        }
        // 206 is the only good answer: a 200 would be the whole image, whatever its size.
        if (response.statusCode() != 206 || response.body().length != length) {
            throw new BlockDeviceException(BlockError.IO, "source " + uri + " answered HTTP " + response.statusCode()
                    + " with " + response.body().length + " bytes to a read of " + length + " bytes at " + offset);
        }
        dst.put(response.body());
    }

    @Override
    public void close() {
        client.close();
    }
}
