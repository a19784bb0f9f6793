package io.reloc.nbd.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's pacing groups ({@link ReplyPacer}), by client host and group number. A group
 * lives while a connection of it does. Groups of different hosts never meet; a group number
 * is chosen by the client at random, so two clients on one host rarely share one. Thread safe.
 */
final class ReplyPacers {
    /** One host's groups; guarded by itself. */
    private static final class Host {
        final List<Member> groups = new ArrayList<>();
    }

    private static final class Member {
        final int group;
        final ReplyPacer pacer;
        int connections;

        Member(int group, ReplyPacer pacer) {
            this.group = group;
            this.pacer = pacer;
        }
    }

    private final ConcurrentHashMap<String, Host> hosts = new ConcurrentHashMap<>();

    /** A connection of {@code host} joins {@code group}, which now paces at {@code bytesPerSecond}. */
    ReplyPacer join(String host, int group, long bytesPerSecond) {
        while (true) {
            Host h = hosts.computeIfAbsent(host, k -> new Host());
            synchronized (h) {
                if (hosts.get(host) != h) {
                    continue; // emptied and removed meanwhile
                }
                for (Member m : h.groups) {
                    if (m.group == group) {
                        m.connections++;
                        m.pacer.rate(bytesPerSecond);
                        return m.pacer;
                    }
                }
                Member m = new Member(group, new ReplyPacer(bytesPerSecond));
                m.connections = 1;
                h.groups.add(m);
                return m.pacer;
            }
        }
    }

    /** A connection of {@code host} that had joined {@code pacer}'s group leaves it. */
    void leave(String host, ReplyPacer pacer) {
        Host h = hosts.get(host);
        if (h == null) {
            return;
        }
        synchronized (h) {
            h.groups.removeIf(m -> m.pacer == pacer && --m.connections == 0);
            if (h.groups.isEmpty()) {
                hosts.remove(host, h);
            }
        }
    }

    /** A reply of {@code bytes} went to {@code host} at once: every group of that host counts it. */
    void debit(String host, long bytes) {
        Host h = hosts.get(host);
        if (h == null) {
            return;
        }
        synchronized (h) {
            for (Member m : h.groups) {
                m.pacer.debit(bytes);
            }
        }
    }

    /** Groups alive now (tests). */
    int groups() {
        int n = 0;
        for (Host h : hosts.values()) {
            synchronized (h) {
                n += h.groups.size();
            }
        }
        return n;
    }
}
