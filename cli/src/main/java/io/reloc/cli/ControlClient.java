package io.reloc.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Talks to a running proxy's control plane ({@code --control HOST:PORT}); every failure becomes a
 * one-line {@link CliException} that says what to check.
 */
final class ControlClient {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final String control;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ControlClient(String control) {
        this.control = requireNonNull(control, "control is null");
        this.base = "http://" + ListenAddress.parse(control);
    }

    /** The status JSON. */
    String status() throws InterruptedException {
        return send("GET", "/status", "status");
    }

    /**
     * The status JSON once the proxy's state is {@code state}, or after {@code seconds} if it is
     * not by then: one request that the proxy answers when it gets there.
     */
    String awaitState(String state, double seconds) throws InterruptedException {
        return send("GET", String.format(Locale.ROOT, "/status?wait=%s&timeout=%.3f", state, seconds), "status",
                Duration.ofMillis((long) (seconds * 1000) + REQUEST_TIMEOUT.toMillis()));
    }

    /** POSTs a command ({@code /activate}, {@code /rate?…}); returns the status JSON after it. */
    String post(String pathAndQuery, String what) throws InterruptedException {
        return send("POST", pathAndQuery, what);
    }

    private String send(String method, String path, String what) throws InterruptedException {
        return send(method, path, what, REQUEST_TIMEOUT);
    }

    private String send(String method, String path, String what, Duration timeout) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout);
        request = method.equals("GET") ? request.GET() : request.POST(HttpRequest.BodyPublishers.noBody());
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String body = response.body().strip();
            if (response.statusCode() != 200) {
                throw new CliException("the proxy refused '" + what + "': " + body);
            }
            return body;
        } catch (ConnectException e) {
            throw new CliException("no proxy answers on " + control + ": is 'reloc proxy' running with --control " + control + "?", e);
        } catch (IOException e) {
            throw new CliException("talking to the proxy on " + control + " failed: " + e.getMessage(), e);
        }
    }
}
