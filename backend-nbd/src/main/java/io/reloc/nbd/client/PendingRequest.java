package io.reloc.nbd.client;

import io.reloc.api.BlockDeviceException;
import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.Errno;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * One request in flight and what its replies have brought so far. The connection's reader thread
 * feeds it replies ({@link #onSimple}, {@link #onChunk}) and then {@link #finish()}es it; the
 * caller waits on {@link #done()}. A reply that breaks the protocol throws
 * {@link NbdProtocolException}, after which the connection is dropped.
 */
abstract class PendingRequest {
    /** Non-data chunk payloads are small; a bigger one means the stream is corrupt. */
    static final long MAX_METADATA_PAYLOAD = 16L << 20;

    final int type;
    final int flags;
    final long offset;
    final long length;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long cookie;
    private volatile long submittedNanos;
    private BlockDeviceException error;

    PendingRequest(int type, int flags, long offset, long length) {
        this.type = type;
        this.flags = flags;
        this.offset = offset;
        this.length = length;
    }

    final void cookie(long cookie) {
        this.cookie = cookie;
        this.submittedNanos = System.nanoTime();
    }

    final long submittedNanos() {
        return submittedNanos;
    }

    final long cookie() {
        return cookie;
    }

    final CompletableFuture<Void> done() {
        return done;
    }

    /** A simple reply header arrived; reads its payload, if any, from {@code transport}. */
    abstract void onSimple(int errno, NbdTransport transport) throws IOException;

    /** A structured chunk header arrived; reads its payload from {@code transport}. */
    abstract void onChunk(ChunkHeader header, NbdTransport transport) throws IOException;

    /** The last reply arrived: checks that the replies add up. */
    abstract void finish() throws NbdProtocolException;

    /** Completes the future with the recorded server error, if any. */
    final void complete() {
        if (error != null) {
            done.completeExceptionally(error);
        } else {
            done.complete(null);
        }
    }

    final void fail(Throwable cause) {
        done.completeExceptionally(cause);
    }

    /** Records an error the server reported; the first one wins. */
    final void serverError(int errno, String message) throws NbdProtocolException {
        if (errno == 0) {
            throw new NbdProtocolException("error reply with errno 0 to " + what());
        }
        if (error == null) {
            error = new BlockDeviceException(Errno.toBlockError(errno), "NBD server failed " + what() + ": "
                    + Errno.name(errno) + (message.isEmpty() ? "" : " (" + message + ")"));
        }
    }

    final boolean failed() {
        return error != null;
    }

    /** Handles ERROR and ERROR_OFFSET chunks, and unknown error types as the protocol asks. */
    final boolean onErrorChunk(ChunkHeader header, NbdTransport transport) throws IOException {
        boolean errorType = (header.type() & 0x8000) != 0;
        if (!errorType) {
            return false;
        }
        ByteBuffer payload = payload(header, transport);
        if (header.type() == NbdConstants.CHUNK_ERROR || header.type() == NbdConstants.CHUNK_ERROR_OFFSET) {
            Chunks.Error e = Chunks.decodeError(header.type(), payload);
            if (e.offset() >= 0 && (e.offset() < offset || e.offset() >= offset + length)) {
                throw new NbdProtocolException("error chunk offset " + e.offset() + " lies outside " + what());
            }
            serverError(e.errno(), e.message());
        } else {
            if (payload.remaining() < 4) {
                throw new NbdProtocolException("error chunk of unknown type " + header.type() + " is too short");
            }
            serverError(payload.getInt(), "error chunk type " + header.type());
        }
        return true;
    }

    /** Reads a non-data payload whole. */
    final ByteBuffer payload(ChunkHeader header, NbdTransport transport) throws IOException {
        if (header.length() > MAX_METADATA_PAYLOAD) {
            throw new NbdProtocolException("chunk of type " + header.type() + " with " + header.length()
                    + " bytes of payload in reply to " + what());
        }
        return transport.read((int) header.length(), "a reply chunk");
    }

    final NbdProtocolException unexpected(ChunkHeader header) {
        return new NbdProtocolException("unexpected chunk type " + header.type() + " in reply to " + what());
    }

    final String what() {
        return NbdConstants.commandName(type) + " of " + length + " bytes at " + offset;
    }
}
