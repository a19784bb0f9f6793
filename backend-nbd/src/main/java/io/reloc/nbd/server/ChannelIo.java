package io.reloc.nbd.server;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** Whole-buffer reads and writes on a blocking socket channel. */
final class ChannelIo {
    private ChannelIo() {}

    /**
     * Fills {@code dst} to its limit.
     *
     * @throws EOFException naming {@code what} if the peer closes first
     */
    static void readFully(SocketChannel channel, ByteBuffer dst, String what) throws IOException {
        while (dst.hasRemaining()) {
            if (channel.read(dst) < 0) {
                throw new EOFException("the client closed the connection in the middle of " + what);
            }
        }
    }

    static void writeFully(SocketChannel channel, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            channel.write(src);
        }
    }
}
