package io.reloc.core.control;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

import static java.util.Objects.requireNonNull;

/**
 * The proxy's control plane: a small HTTP API on a loopback address, for {@code reloc ctl} and
 * orchestrators.
 *
 * <pre>
 * GET  /status                       the {@link io.reloc.core.relocation.ProxyStatus} as JSON
 * GET  /status?wait=STATE[&amp;timeout=S] the same once the state is STATE (complete, relocating, ...),
 *                                    or after S seconds (default 300) in whatever state it is
 * POST /activate                     leave standby (switch-over is done)
 * POST /pause, /resume               background copy
 * POST /rate?bytes-per-second=N      background copy limit, 0 for none
 * POST /source?uri=nbd://HOST:PORT/X the source moved
 * POST /reconnect                    reconnect to the source now, skipping back-off
 * POST /detach[?force=true]          confirm detachment (complete), or give up the source before
 * </pre>
 * Every answer is JSON; errors are {@code {"error": "..."}} with status 400 or 409.
 */
public final class ControlServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    static final long DEFAULT_WAIT_SECONDS = 300;
    static final long MAX_WAIT_SECONDS = 86_400;
    static final long WAIT_POLL_MILLIS = 10;

    private final HttpServer server;
    private final Proxy proxy;
    /** Set on close, so that requests waiting for a state give up (the proxy is going away). */
    private volatile boolean closed;

    private ControlServer(HttpServer server, Proxy proxy) {
        this.server = server;
        this.proxy = proxy;
    }

    /** @throws IOException "address … is already in use" when the port is taken */
    public static ControlServer start(InetSocketAddress address, Proxy proxy) throws IOException {
        requireNonNull(proxy, "proxy is null");
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (BindException e) {
            throw new IOException("control address " + address.getHostString() + ":" + address.getPort() + " is already in use", e);
        }
        ControlServer control = new ControlServer(server, proxy);
        server.createContext("/", control::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        log.info("control plane on http://{}:{}/status", address.getHostString(), server.getAddress().getPort());
        return control;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            try {
                if (path.equals("/status") && method.equals("GET")) {
                    String state = query.get("wait");
                    reply(exchange, 200, (state == null ? proxy.status() : awaitState(state, query)).toJson());
                    return;
                }
                if (!method.equals("POST")) {
                    reply(exchange, 405, error("use GET /status or POST /activate, /pause, /resume, /rate, /source, /reconnect, /detach"));
                    return;
                }
                switch (path) {
                    case "/activate" -> proxy.activate();
                    case "/pause" -> proxy.pause();
                    case "/resume" -> proxy.resume();
                    case "/rate" -> proxy.setRate(Long.parseLong(required(query, "bytes-per-second")));
                    case "/source" -> proxy.redirect(URI.create(required(query, "uri")));
                    case "/reconnect" -> proxy.reconnect();
                    case "/detach" -> proxy.detach(flag(query, "force"));
                    default -> {
                        reply(exchange, 404, error("no such command: " + path));
                        return;
                    }
                }
                log.info("control: {} {}", path, query.isEmpty() ? "" : query);
                reply(exchange, 200, proxy.status().toJson());
            } catch (IllegalArgumentException e) {
                reply(exchange, 400, error(e.getMessage()));
            } catch (IOException e) {
                reply(exchange, 409, error(e.getMessage()));
            }
        }
    }

    /**
     * Waits, in the request's own thread, until the proxy's state is {@code state} or the timeout
     * passes, looking every {@value #WAIT_POLL_MILLIS} ms: so a script that waits for the end of a
     * relocation costs the proxy one request instead of one per poll (each request costs it about
     * a millisecond of CPU, and a poller's processes more).
     */
    private ProxyStatus awaitState(String state, Map<String, String> query) throws IOException {
        if (!ProxyStatus.STATE_NAMES.contains(state)) {
            throw new IllegalArgumentException("unknown state '" + state + "': wait for one of " + ProxyStatus.STATE_NAMES);
        }
        double seconds = seconds(query.getOrDefault("timeout", Long.toString(DEFAULT_WAIT_SECONDS)));
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        ProxyStatus status = proxy.status();
        while (!status.stateName().equals(state) && System.nanoTime() < deadline && !closed) {
            try {
                Thread.sleep(WAIT_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for state " + state, e);
            }
            status = proxy.status();
        }
        return status;
    }

    private static double seconds(String text) {
        try {
            double seconds = Double.parseDouble(text);
            if (seconds >= 0 && seconds <= MAX_WAIT_SECONDS) {
                return seconds;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("timeout must be 0 to " + MAX_WAIT_SECONDS + " seconds, not '" + text + "'");
    }

    private static String required(Map<String, String> query, String name) {
        String value = query.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing parameter '" + name + "'");
        }
        return value;
    }

    private static boolean flag(Map<String, String> query, String name) {
        String value = query.getOrDefault(name, "false");
        return switch (value) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException("parameter '" + name + "' must be true or false, not '" + value + "'");
        };
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> result = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    result.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return result;
    }

    private static String error(String message) {
        return "{\"error\":\"" + String.valueOf(message).replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    }

    private static void reply(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        closed = true;
        server.stop(0);
    }
}
