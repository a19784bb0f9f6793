package io.reloc.bench.workload;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * NBD connections to one export, one per request in flight: {@link NbdClient} sends one request
 * at a time, so requests in flight at once each take a connection of their own. Connections are
 * opened when none is idle and kept for later requests; the driver bounds how many requests are in
 * flight, and so how many connections there are. Thread safe.
 */
public final class ClientPool implements Connections, Closeable {
    private final InetSocketAddress address;
    private final String export;
    private final Deque<NbdClient> idle = new ArrayDeque<>();
    private final List<NbdClient> all = new ArrayList<>();

    private ClientPool(InetSocketAddress address, String export) {
        this.address = requireNonNull(address, "address is null");
        this.export = requireNonNull(export, "export is null");
    }

    /**
     * Opens {@code warm} connections at once, so that the first requests do not wait for a
     * handshake.
     */
    public static ClientPool open(InetSocketAddress address, String export, int warm) throws IOException {
        ClientPool pool = new ClientPool(address, export);
        try {
            List<BlockClient> opened = new ArrayList<>();
            for (int i = 0; i < warm; i++) {
                opened.add(pool.take());
            }
            opened.forEach(pool::give);
            return pool;
        } catch (IOException | RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    @Override
    public BlockClient take() throws IOException {
        synchronized (this) {
            NbdClient client = idle.pollFirst();
            if (client != null) {
                return client;
            }
        }
        NbdClient client = NbdClient.open(address, export);
        synchronized (this) {
            all.add(client);
        }
        return client;
    }

    @Override
    public synchronized void give(BlockClient client) {
        idle.addFirst((NbdClient) client);  // the most recently used first, so that few connections do the work
    }

    /** Connections opened so far. */
    public synchronized int size() {
        return all.size();
    }

    /** Disconnects every connection; requests still in flight fail. */
    @Override
    public void close() throws IOException {
        List<NbdClient> clients;
        synchronized (this) {
            clients = List.copyOf(all);
            all.clear();
            idle.clear();
        }
        IOException failure = null;
        for (NbdClient c : clients) {
            try {
                c.close();
            } catch (IOException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
