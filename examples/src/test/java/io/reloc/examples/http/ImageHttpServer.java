package io.reloc.examples.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A web server on a loopback port chosen by the OS that serves one image at /vm1.img, with byte ranges. */
final class ImageHttpServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");

    private final byte[] image;
    private final boolean ranges;
    private final HttpServer server;
    private final AtomicInteger rangeRequests = new AtomicInteger();

    ImageHttpServer(byte[] image, boolean ranges) throws IOException {
        this.image = image;
        this.ranges = ranges;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/vm1.img", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/vm1.img");
    }

    int rangeRequests() {
        return rangeRequests.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (ranges) {
                exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
            }
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Content-Length", Long.toString(image.length));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            String range = exchange.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (!ranges || m == null || !m.matches()) {
                exchange.sendResponseHeaders(200, image.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(image);
                }
                return;
            }
            int from = Integer.parseInt(m.group(1));
            int to = Math.min(Integer.parseInt(m.group(2)), image.length - 1);
            rangeRequests.incrementAndGet();
            exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + image.length);
            exchange.sendResponseHeaders(206, to - from + 1);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(image, from, to - from + 1);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
