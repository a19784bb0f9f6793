package io.reloc.bench.trace;

import io.reloc.api.Export;
import io.reloc.api.ExportCatalog;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

import static java.util.Objects.requireNonNull;

/**
 * Exports whose requests are traced, each client under a number of its own. A front end looks up
 * the export while it negotiates with a client, on a thread of that connection, and keeps what it
 * found for the connection's life; so the first lookup from a thread starts a new client, and
 * later lookups from the same thread (NBD's INFO, then GO) get the same traced export. Listing
 * exports returns them untraced: a list carries no requests. Thread safe.
 */
public final class TracingCatalog implements ExportCatalog {
    private final ExportCatalog exports;
    private final TraceWriter trace;
    private final Map<Thread, Map<String, Export>> byThread = new WeakHashMap<>();
    private int clients;

    public TracingCatalog(ExportCatalog exports, TraceWriter trace) {
        this.exports = requireNonNull(exports, "exports is null");
        this.trace = requireNonNull(trace, "trace is null");
    }

    @Override
    public synchronized Optional<Export> find(String name) {
        Optional<Export> found = exports.find(name);
        if (found.isEmpty()) {
            return found;
        }
        Map<String, Export> mine = byThread.computeIfAbsent(Thread.currentThread(), t -> new HashMap<>());
        Export e = found.get();
        return Optional.of(mine.computeIfAbsent(name, n -> new Export(e.name(), e.description(),
                TracingDevice.of(e.device(), trace, ++clients))));
    }

    /** The untraced catalog's default export, traced like {@link #find}. */
    @Override
    public synchronized Optional<Export> defaultExport() {
        return exports.defaultExport().flatMap(e -> find(e.name()));
    }

    @Override
    public List<Export> list() {
        return exports.list();
    }

    /** Clients seen so far. */
    public synchronized int clients() {
        return clients;
    }
}
