package io.reloc.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Keeps a started {@link ExportServer} running until SIGINT/SIGTERM, or for a fixed time.
 *
 * <p>On a signal the JVM runs the shutdown hook, which stops the server (front ends, then flush
 * and close of every device) and then halts with status 0, or 1 if a device failed to flush. The
 * conventional 130/143 of a signalled JVM would not tell a clean stop from a failed flush.
 */
final class ServeLoop {
    private static final Logger log = LoggerFactory.getLogger(ServeLoop.class);

    private ServeLoop() {}

    /** Blocks until the server is stopped; returns the exit status (when stopped by duration). */
    static int serve(ExportServer server, Optional<Duration> duration) throws InterruptedException {
        return serveWhile(server, () -> {
            if (duration.isEmpty()) {
                new CountDownLatch(1).await();  // until the shutdown hook halts the JVM
            }
            Thread.sleep(duration.orElseThrow());
            log.info("--duration of {} s elapsed", duration.orElseThrow().toSeconds());
            return ExitCodes.OK;
        });
    }

    /** What runs while the server serves; returns an exit status. */
    interface Body {
        int run() throws InterruptedException;
    }

    /**
     * Serves while {@code body} runs, then stops the server. A signal meanwhile stops the server
     * and halts the JVM from the shutdown hook.
     *
     * @return the body's status if it is not 0, else the status of the stop
     */
    static int serveWhile(ExportServer server, Body body) throws InterruptedException {
        Thread hook = new Thread(() -> {
            boolean clean = server.stop();
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(clean ? ExitCodes.OK : ExitCodes.RUNTIME);
        }, "reloc-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int status;
        try {
            status = body.run();
        } catch (RuntimeException | InterruptedException e) {
            unregister(hook);
            server.stop();
            throw e;
        }
        unregister(hook);
        boolean clean = server.stop();
        return status != ExitCodes.OK ? status : clean ? ExitCodes.OK : ExitCodes.RUNTIME;
    }

    private static void unregister(Thread hook) throws InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // A signal came at the same moment: the hook stops the server and halts.
            new CountDownLatch(1).await();
        }
    }
}
