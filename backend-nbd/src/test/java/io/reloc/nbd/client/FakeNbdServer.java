package io.reloc.nbd.client;

import io.reloc.nbd.protocol.ExportInfoRequest;
import io.reloc.nbd.protocol.ExportNameReply;
import io.reloc.nbd.protocol.Greeting;
import io.reloc.nbd.protocol.InfoReply;
import io.reloc.nbd.protocol.MetaContextEntry;
import io.reloc.nbd.protocol.OptionHeader;
import io.reloc.nbd.protocol.OptionReplyHeader;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.protocol.ServerEntry;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.reloc.nbd.protocol.NbdConstants.*;

/**
 * A hand-written NBD server for client tests: a scripted handshake whose answers the test picks,
 * then a {@link Script} that reads requests and writes whatever replies the test wants, right or
 * wrong. Serves each accepted connection on its own virtual thread.
 */
final class FakeNbdServer implements AutoCloseable {
    /** Serves the transmission phase of one connection. */
    @FunctionalInterface
    interface Script {
        void serve(Wire wire) throws IOException;
    }

    /** See {@link #beforeGo}. */
    @FunctionalInterface
    interface BeforeGo {
        void run(int connection) throws IOException;
    }

    /** The socket of one connection, with request decoding. */
    final class Wire {
        final DataInputStream in;
        final DataOutputStream out;

        Wire(InputStream in, OutputStream out) {
            this.in = new DataInputStream(in);
            this.out = new DataOutputStream(out);
        }

        /** The next request; null when the client disconnected (DISC or EOF). */
        Request next() throws IOException {
            byte[] header = new byte[REQUEST_HEADER_SIZE];
            try {
                in.readFully(header);
            } catch (EOFException e) {
                return null;
            }
            Request r = Request.decode(ByteBuffer.wrap(header));
            if (r.type() == CMD_DISC) {
                disconnects.incrementAndGet();
                return null;
            }
            return r;
        }

        void send(ByteBuffer b) throws IOException {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            out.flush();
        }
    }

    byte[] greeting = new Greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES).encode().array();
    boolean structured = true;
    boolean metaContext = true;
    boolean go = true;
    boolean tlsRequired;
    /**
     * Holds every option's reply until GO (or EXPORT_NAME, ABORT) arrives, then answers them in
     * order: a client that waits for each reply before sending its next option never gets there.
     */
    boolean repliesAfterGo;
    long size = 1 << 20;
    /** The size told connection {@code n} (1 for the first accepted), when it differs from {@link #size}. */
    java.util.function.IntToLongFunction sizeOf = n -> size;
    int flags = TF_HAS_FLAGS | TF_READ_ONLY;
    InfoReply.BlockSize blockSize;
    List<String> exports = List.of("disk");
    /** The relocation channel codec to accept, or null to answer ERR_UNSUP like a foreign server. */
    String channelCodec;
    Script script = wire -> { };
    /** Runs before GO of connection {@code n} (1 for the first accepted) is answered; may block or throw to drop it. */
    BeforeGo beforeGo = n -> { };
    /** Connections accepted, and those whose serving has ended (the client closed, or the server dropped it). */
    final java.util.concurrent.atomic.AtomicInteger acceptedCount = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
    final List<String> options = new CopyOnWriteArrayList<>();
    /** NBD_CMD_DISC requests received. */
    final java.util.concurrent.atomic.AtomicInteger disconnects = new java.util.concurrent.atomic.AtomicInteger();

    private ServerSocket socket;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

    FakeNbdServer start() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    accepted.add(s);
                    int n = acceptedCount.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(s, n));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return this;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void serve(Socket s, int n) {
        try (s) {
            Wire wire = new Wire(s.getInputStream(), s.getOutputStream());
            wire.out.write(greeting);
            wire.out.flush();
            int clientFlags = wire.in.readInt();
            boolean noZeroes = (clientFlags & CLIENT_FLAG_NO_ZEROES) != 0;
            if (handshake(wire, noZeroes, n)) {
                script.serve(wire);
            }
        } catch (IOException e) {
            // The client went away or the test closed the server.
        } finally {
            ended.incrementAndGet();
        }
    }

    private record Option(int option, byte[] data) {}

    private boolean handshake(Wire wire, boolean noZeroes, int n) throws IOException {
        List<Option> held = new java.util.ArrayList<>();
        while (true) {
            byte[] h = new byte[OptionHeader.SIZE];
            wire.in.readFully(h);
            OptionHeader header = OptionHeader.decode(ByteBuffer.wrap(h));
            byte[] data = new byte[(int) header.length()];
            wire.in.readFully(data);
            options.add(optionName(header.option()));
            held.add(new Option(header.option(), data));
            if (repliesAfterGo && header.option() != OPT_GO && header.option() != OPT_EXPORT_NAME && header.option() != OPT_ABORT) {
                continue;
            }
            for (Option o : held) {
                Boolean done = answer(wire, o.option(), o.data(), noZeroes, n);
                if (done != null) {
                    return done;
                }
            }
            held.clear();
        }
    }

    /** Answers one option: whether the handshake ended in transmission, or null if it goes on. */
    private Boolean answer(Wire wire, int option, byte[] data, boolean noZeroes, int n) throws IOException {
        {
            if (tlsRequired && option != OPT_ABORT) {
                wire.send(OptionReplyHeader.encodeError(option, REP_ERR_TLS_REQD, "TLS is required here"));
                return null;
            }
            switch (option) {
                case OPT_STRUCTURED_REPLY -> wire.send(ack(option, structured));
                case OPT_SET_META_CONTEXT -> {
                    if (metaContext) {
                        wire.send(OptionReplyHeader.encodeReply(option, REP_META_CONTEXT, new MetaContextEntry(7, BASE_ALLOCATION).encode()));
                    }
                    wire.send(ack(option, metaContext));
                }
                case OPT_LIST -> {
                    for (String name : exports) {
                        wire.send(OptionReplyHeader.encodeReply(option, REP_SERVER, new ServerEntry(name, "").encode()));
                    }
                    wire.send(ack(option, true));
                }
                case OPT_GO -> {
                    beforeGo.run(n);
                    if (!go) {
                        wire.send(ack(option, false));
                        return null;
                    }
                    String name = ExportInfoRequest.decode(ByteBuffer.wrap(data)).exportName();
                    if (!exports.contains(name)) {
                        wire.send(OptionReplyHeader.encodeError(option, REP_ERR_UNKNOWN, "no such export"));
                        return null;
                    }
                    wire.send(OptionReplyHeader.encodeReply(option, REP_INFO, new InfoReply.Export(sizeOf.applyAsLong(n), flags).encode()));
                    if (blockSize != null) {
                        wire.send(OptionReplyHeader.encodeReply(option, REP_INFO, blockSize.encode()));
                    }
                    wire.send(ack(option, true));
                    return true;
                }
                case OPT_EXPORT_NAME -> {
                    if (!exports.contains(new String(data, java.nio.charset.StandardCharsets.UTF_8))) {
                        return false;
                    }
                    wire.send(new ExportNameReply(size, flags).encode(noZeroes));
                    return true;
                }
                case OPT_RELOC_CHANNEL -> wire.send(channelCodec == null ? ack(option, false)
                        : OptionReplyHeader.encodeReply(option, REP_ACK, io.reloc.nbd.protocol.RelocChannel.encodeChoice(channelCodec)));
                case OPT_ABORT -> {
                    wire.send(ack(option, true));
                    return false;
                }
                default -> wire.send(ack(option, false));
            }
            return null;
        }
    }

    private static ByteBuffer ack(int option, boolean supported) {
        return supported ? OptionReplyHeader.encodeReply(option, REP_ACK, ByteBuffer.allocate(0))
                : OptionReplyHeader.encodeError(option, REP_ERR_UNSUP, "not supported here");
    }

    /** Drops every connection (as a crashed server would) and stops accepting. */
    @Override
    public void close() throws IOException {
        if (socket == null) {
            return;
        }
        socket.close();
        for (Socket s : accepted) {
            s.close();
        }
    }
}
