package io.reloc.core.relocation;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;

import static java.util.Objects.requireNonNull;

/**
 * Something being opened on a thread of its own while the caller does other work, e.g. a second
 * connection to a distant source, whose handshake round trips would otherwise come after the
 * first's. Whoever starts one must end it with {@link #get} or {@link #discard}, so that what was
 * opened is used or closed, never left open. Used by one thread.
 */
final class BackgroundOpening<T extends Closeable> {
    /** Opens the thing; may block for round trips. */
    @FunctionalInterface
    interface Opener<T> {
        T open() throws IOException;
    }

    private final Thread thread;
    private T opened;
    private Throwable failure;
    private boolean taken;

    private BackgroundOpening(Opener<T> opener, String name) {
        requireNonNull(opener, "opener is null");
        this.thread = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                opened = opener.open();
            } catch (Throwable e) {
                failure = e;
            }
        });
    }

    /** Starts opening on a virtual thread called {@code name}. */
    static <T extends Closeable> BackgroundOpening<T> start(Opener<T> opener, String name) {
        BackgroundOpening<T> opening = new BackgroundOpening<>(opener, name);
        opening.thread.start();
        return opening;
    }

    /**
     * Waits for the opening and hands over what was opened, or throws what the opener threw.
     * Interrupted, it discards the opening and throws {@link InterruptedIOException}.
     */
    T get() throws IOException {
        if (taken) {
            throw new IllegalStateException("already taken or discarded");
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            discard();
            Thread.currentThread().interrupt();
            throw (InterruptedIOException) new InterruptedIOException("interrupted while opening in the background").initCause(e);
        }
        taken = true;
        return switch (failure) {
            case null -> opened;
            case IOException e -> throw e;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IOException(failure);
        };
    }

    /**
     * Interrupts the opening (a connect or handshake in progress then fails at once), waits for
     * it to end and closes what it opened. Does nothing after {@link #get}; idempotent.
     */
    void discard() {
        if (taken) {
            return;
        }
        taken = true;
        thread.interrupt();
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (opened != null) {
            try {
                opened.close();
            } catch (IOException e) {
                // Never used: nothing depends on a clean close.
            }
        }
    }
}
