package io.reloc.cli;

import io.reloc.core.relocation.Proxy;
import io.reloc.core.relocation.ProxyStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * Logs a running proxy's progress at a fixed period (and once when it completes), so that a
 * proxy started by hand or under a service manager shows how far it is without a control client.
 */
final class ProgressLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProgressLog.class);

    private final Proxy proxy;
    private final Duration period;
    private final Thread thread;

    private ProgressLog(Proxy proxy, Duration period) {
        this.proxy = requireNonNull(proxy, "proxy is null");
        this.period = requireNonNull(period, "period is null");
        this.thread = Thread.ofPlatform().daemon().name("proxy-progress").unstarted(this::run);
    }

    static ProgressLog start(Proxy proxy, Duration period) {
        ProgressLog progress = new ProgressLog(proxy, period);
        progress.thread.start();
        return progress;
    }

    /** One line: state, fraction and blocks present, bytes from the source, the link's rate once measured. */
    static String line(ProxyStatus status) {
        var r = status.relocation();
        long link = status.linkRateBytesPerSecond();
        return String.format(Locale.ROOT, "%s: %.1f%% local (%d of %d blocks), %s from the source (%s background), %d demand fetches%s",
                status.stateName(), 100 * r.fractionPresent(), r.presentBlocks(), r.blockCount(),
                ByteSize.format(status.bytesFromSource()), ByteSize.format(status.backgroundBytes()), r.demandFetches(),
                link == 0 ? "" : ", link measured at " + ByteSize.formatBitRate(link));
    }

    private void run() {
        long last = -1;
        try {
            while (true) {
                Thread.sleep(period);
                ProxyStatus status = proxy.status();
                String state = status.stateName();
                if (state.equals("complete")) {
                    return; // the engine logs completion itself
                }
                long present = status.relocation().presentBlocks();
                if (!state.equals("standby") && present != last) {
                    log.info("{}", line(status));
                    last = present;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        thread.interrupt();
    }

    @Override
    public String toString() {
        return "progress log";
    }
}
