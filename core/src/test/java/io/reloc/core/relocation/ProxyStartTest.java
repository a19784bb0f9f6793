package io.reloc.core.relocation;

import io.reloc.api.BlockDevice;
import io.reloc.api.CopyOrder;
import io.reloc.api.CopyStrategy;
import io.reloc.api.ReadOnlyBlockDevice;
import io.reloc.api.SourceConnector;
import io.reloc.core.CorePlugin;
import io.reloc.core.plugin.Plugins;
import io.reloc.core.plugin.RelocPlugin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@link Proxy#start} opens the demand connection and the background lane: together, leaving nothing open on failure. */
class ProxyStartTest {
    private static final int SIZE = 1 << 20;
    /** The thread that opens the lane (see Proxy.start). */
    private static final String LANE_THREAD = "reloc-lane-open";

    @TempDir
    Path dir;

    /** What an opening does, told whether it opens the lane. */
    @FunctionalInterface
    private interface Behaviour {
        void opening(boolean lane) throws IOException;
    }

    /** Source connector of scheme "test" that counts devices opened and closed and openings in progress. */
    private static final class CountingConnector implements SourceConnector {
        final AtomicInteger inProgress = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        private final Behaviour behaviour;

        CountingConnector(Behaviour behaviour) {
            this.behaviour = behaviour;
        }

        @Override
        public String scheme() {
            return "test";
        }

        @Override
        public BlockDevice open(URI uri) throws IOException {
            most.accumulateAndGet(inProgress.incrementAndGet(), Math::max);
            try {
                behaviour.opening(Thread.currentThread().getName().equals(LANE_THREAD));
            } finally {
                inProgress.decrementAndGet();
            }
            opened.incrementAndGet();
            return new ReadOnlyBlockDevice() {
                private final AtomicBoolean done = new AtomicBoolean();

                @Override
                public long size() {
                    return SIZE;
                }

                @Override
                public void read(long offset, ByteBuffer dst) {
                    dst.position(dst.limit());
                }

                @Override
                public void close() {
                    if (done.compareAndSet(false, true)) {
                        closed.incrementAndGet();
                    }
                }
            };
        }
    }

    private Proxy start(CountingConnector connector) throws IOException {
        return start(connector, Proxy.DEFAULT_STRATEGY);
    }

    private Proxy start(CountingConnector connector, String strategy) throws IOException {
        Plugins plugins = Plugins.of(List.of(new CorePlugin(), new RelocPlugin() {
            @Override
            protected void configure() {
                sourceConnector("test").toInstance(connector);
                strategy("failing").toInstance(new CopyStrategy() {
                    @Override
                    public String name() {
                        return "failing";
                    }

                    @Override
                    public CopyOrder create(long blockCount) {
                        throw new IllegalStateException("strategy refused");
                    }
                });
            }
        }));
        Path cache = dir.resolve("cache.img");
        return Proxy.start(new ProxyConfig(URI.create("test:disk"), cache, ProxyConfig.defaultMap(cache), 64 * 1024, false,
                Duration.ofSeconds(5), 0), plugins, strategy);
    }

    @Test
    void aStrategyThatFailsToStartLeavesNothingOpen() {
        CountingConnector connector = new CountingConnector(lane -> { });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> start(connector, "failing"));
        assertEquals("strategy refused", e.getMessage());
        assertEquals(2, connector.opened.get());
        assertEquals(2, connector.closed.get(), "the demand connection and the lane are closed");
    }

    @Test
    void demandConnectionAndLaneAreOpenedAtOnce() throws Exception {
        CountDownLatch both = new CountDownLatch(2);
        CountingConnector connector = new CountingConnector(lane -> {
            both.countDown();
            try {
                // Opened one after the other, the two never meet: the first is let go on its own.
                both.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new InterruptedIOException();
            }
        });
        try (Proxy proxy = start(connector)) {
            assertEquals(2, connector.most.get(), "openings in progress at once");
            assertEquals(2, connector.opened.get());
            assertEquals(0, connector.closed.get());
            assertEquals(RelocationState.STANDBY, proxy.status().relocation().state());
        }
        assertEquals(2, connector.closed.get(), "closing the proxy closes both connections");
    }

    @Test
    void aLaneThatCannotBeOpenedFailsTheStartAndClosesTheSource() {
        CountingConnector connector = new CountingConnector(lane -> {
            if (lane) {
                throw new IOException("lane refused");
            }
        });
        IOException e = assertThrows(IOException.class, () -> start(connector));
        assertEquals("lane refused", e.getMessage());
        assertEquals(1, connector.opened.get());
        assertEquals(1, connector.closed.get(), "the demand connection is closed");
    }

    @Test
    void aSourceThatCannotBeOpenedStopsTheLaneBeingOpened() {
        AtomicBoolean laneInterrupted = new AtomicBoolean();
        CountDownLatch laneWaiting = new CountDownLatch(1);
        CountingConnector connector = new CountingConnector(lane -> {
            try {
                if (lane) {
                    laneWaiting.countDown();
                    new CountDownLatch(1).await(); // a handshake that never ends, unless interrupted
                } else {
                    laneWaiting.await(5, TimeUnit.SECONDS);
                    throw new IOException("source refused");
                }
            } catch (InterruptedException x) {
                laneInterrupted.set(true);
                throw new InterruptedIOException();
            }
        });
        IOException e = assertThrows(IOException.class, () -> start(connector));
        assertEquals("source refused", e.getMessage());
        assertTrue(laneInterrupted.get(), "the lane's opening was interrupted");
        assertEquals(0, connector.opened.get());
        assertEquals(0, connector.inProgress.get(), "no opening left running");
    }
}
