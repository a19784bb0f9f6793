package io.reloc.examples.http;

import io.reloc.api.BlockDevice;
import io.reloc.api.SourceConnector;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Relocates from a disk image served over HTTP ({@code http://host:port/images/vm1.img}): any web
 * server or object store that answers {@code HEAD} with the size and {@code GET} with byte ranges.
 * An example of a {@link SourceConnector} plugin, explained in docs/guide/integrating.md.
 */
public final class HttpSourceConnector implements SourceConnector {
    public static final String SCHEME = "http";

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public BlockDevice open(URI uri) throws IOException {
        requireNonNull(uri, "uri is null");
        if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not an http URI: " + uri);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try {
            return new HttpBlockDevice(client, uri, size(client, uri));
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** Asks for the image's size with HEAD, and checks that the server can serve parts of it. */
    private static long size(HttpClient client, URI uri) throws IOException {
        HttpResponse<Void> head;
        try {
            head = client.send(HttpRequest.newBuilder(uri).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening " + uri);
        } catch (IOException e) {
            throw new IOException("cannot reach source " + uri + ": " + e.getMessage(), e);
        }
        if (head.statusCode() != 200) {
            throw new IOException("source " + uri + " answered HTTP " + head.statusCode() + " to HEAD: check the URL");
        }
        String ranges = head.headers().firstValue("Accept-Ranges").orElse("").toLowerCase(Locale.ROOT);
        if (!ranges.contains("bytes")) {
            throw new IOException("source " + uri + " does not serve byte ranges (no 'Accept-Ranges: bytes'):"
                    + " Reloc fetches the disk block by block, so the server must support Range requests");
        }
        return head.headers().firstValueAsLong("Content-Length").orElseThrow(
                () -> new IOException("source " + uri + " does not say its size (no Content-Length on HEAD)"));
    }
}
