package io.reloc.nbd.testing;

import io.reloc.nbd.protocol.ChunkHeader;
import io.reloc.nbd.protocol.Chunks;
import io.reloc.nbd.protocol.ExportInfoRequest;
import io.reloc.nbd.protocol.Greeting;
import io.reloc.nbd.protocol.InfoReply;
import io.reloc.nbd.protocol.MetaContextEntry;
import io.reloc.nbd.protocol.MetaContextRequest;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.OptionHeader;
import io.reloc.nbd.protocol.OptionReplyHeader;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.protocol.SimpleReply;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static io.reloc.nbd.protocol.NbdConstants.*;

/**
 * A small raw NBD client for tests: every step of the handshake and of transmission is a method, so
 * that tests can also send what a correct client never would. Reads time out after 10 s so that a
 * server that forgets to answer fails a test instead of hanging it. Not thread safe, except that
 * {@link #send} and {@link #readReply} may be called from two different threads.
 */
public final class NbdTestClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final Greeting greeting;
    private final AtomicLong cookies = new AtomicLong(1);
    /** Cookie to (command, length) of requests waiting for replies; needed to frame simple READ replies. */
    private final Map<Long, Request> pending = new ConcurrentHashMap<>();

    private boolean structured;
    private long exportSize = -1;
    private int transmissionFlags;

    private NbdTestClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.greeting = Greeting.decode(ByteBuffer.wrap(in.readNBytes(Greeting.SIZE)));
    }

    /** Connects and reads the greeting; the client flags are not sent yet. */
    public static NbdTestClient connect(InetSocketAddress address) throws IOException {
        return new NbdTestClient(new Socket(address.getAddress(), address.getPort()));
    }

    /** Connects, negotiates structured replies (and base:allocation) if asked, then GO. */
    public static NbdTestClient open(InetSocketAddress address, String export, boolean structuredReplies) throws IOException {
        NbdTestClient c = connect(address);
        c.sendClientFlags(CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES);
        if (structuredReplies) {
            c.expectAck(c.option(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0)));
            c.option(OPT_SET_META_CONTEXT, new MetaContextRequest(export, List.of(BASE_ALLOCATION)).encode());
        }
        c.go(export, List.of());
        return c;
    }

    public Greeting greeting() {
        return greeting;
    }

    public Socket socket() {
        return socket;
    }

    public long exportSize() {
        return exportSize;
    }

    public int transmissionFlags() {
        return transmissionFlags;
    }

    public void sendClientFlags(int flags) throws IOException {
        out.write(ByteBuffer.allocate(4).putInt(flags).array());
        out.flush();
    }

    // ---- options

    /** One option reply. */
    public record OptionReply(int option, int type, ByteBuffer data) {
        public String text() {
            return StandardCharsets.UTF_8.decode(data.duplicate()).toString();
        }
    }

    public void sendOption(int option, ByteBuffer data) throws IOException {
        out.write(array(OptionHeader.encodeRequest(option, data)));
        out.flush();
    }

    public OptionReply readOptionReply() throws IOException {
        OptionReplyHeader h = OptionReplyHeader.decode(ByteBuffer.wrap(in.readNBytes(OptionReplyHeader.SIZE).clone()));
        byte[] data = readExactly((int) h.length());
        return new OptionReply(h.option(), h.type(), ByteBuffer.wrap(data));
    }

    /**
     * Sends an option and reads replies until ACK or an error; if {@code option} is SET_META_CONTEXT
     * the selection is remembered. Returns every reply, the last being ACK or the error.
     */
    public List<OptionReply> option(int option, ByteBuffer data) throws IOException {
        sendOption(option, data);
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = readOptionReply();
            if (r.option() != option) {
                throw new NbdProtocolException("reply for option " + r.option() + " to option " + option);
            }
            replies.add(r);
            if (r.type() == REP_ACK || (r.type() & REP_FLAG_ERROR) != 0) {
                if (option == OPT_STRUCTURED_REPLY && r.type() == REP_ACK) {
                    structured = true;
                }
                return replies;
            }
        }
    }

    public void expectAck(List<OptionReply> replies) throws NbdProtocolException {
        int last = replies.get(replies.size() - 1).type();
        if (last != REP_ACK) {
            throw new NbdProtocolException("expected ACK, got reply type 0x" + Integer.toHexString(last)
                    + ": " + replies.get(replies.size() - 1).text());
        }
    }

    /** GO; on success the client is in transmission. Returns the REP_INFO replies decoded. */
    public List<InfoReply> go(String export, List<Integer> infos) throws IOException {
        return info(OPT_GO, export, infos);
    }

    public List<InfoReply> info(int option, String export, List<Integer> infos) throws IOException {
        List<OptionReply> replies = option(option, new ExportInfoRequest(export, infos).encode());
        expectAck(replies);
        List<InfoReply> decoded = new ArrayList<>();
        for (OptionReply r : replies) {
            if (r.type() == REP_INFO) {
                InfoReply i = InfoReply.decode(r.data().duplicate());
                decoded.add(i);
                if (i instanceof InfoReply.Export e) {
                    exportSize = e.size();
                    transmissionFlags = e.transmissionFlags();
                }
            }
        }
        return decoded;
    }

    public static List<MetaContextEntry> contexts(List<OptionReply> replies) throws NbdProtocolException {
        List<MetaContextEntry> result = new ArrayList<>();
        for (OptionReply r : replies) {
            if (r.type() == REP_META_CONTEXT) {
                result.add(MetaContextEntry.decode(r.data().duplicate()));
            }
        }
        return result;
    }

    /** NBD_OPT_EXPORT_NAME; reads size and flags (and 124 zeroes unless {@code noZeroes}). */
    public void exportName(String name, boolean noZeroes) throws IOException {
        sendOption(OPT_EXPORT_NAME, ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8)));
        exportSize = in.readLong();
        transmissionFlags = in.readUnsignedShort();
        if (!noZeroes) {
            byte[] zeroes = readExactly(124);
            for (byte b : zeroes) {
                if (b != 0) {
                    throw new NbdProtocolException("non-zero padding after EXPORT_NAME");
                }
            }
        }
    }

    // ---- transmission

    /** A reply, simple or structured (chunks already assembled). */
    public record Reply(long cookie, int error, String message, byte[] data, Chunks.BlockStatus blockStatus,
                        boolean structured, int chunks) {}

    public long nextCookie() {
        return cookies.getAndIncrement();
    }

    /** Sends a request (and a WRITE payload); returns its cookie. */
    public long send(int type, int flags, long offset, long length, byte[] payload) throws IOException {
        long cookie = nextCookie();
        send(new Request(flags, type, cookie, offset, length), payload);
        return cookie;
    }

    public void send(Request r, byte[] payload) throws IOException {
        pending.put(r.cookie(), r);
        synchronized (out) {
            out.write(array(r.encode()));
            if (payload != null) {
                out.write(payload);
            }
            out.flush();
        }
    }

    /** Writes raw bytes, for malformed input. */
    public void sendRaw(byte[] bytes) throws IOException {
        synchronized (out) {
            out.write(bytes);
            out.flush();
        }
    }

    /** Reads the next whole reply (all chunks of one cookie; the server never interleaves a READ's chunks here). */
    public Reply readReply() throws IOException {
        int magic = in.readInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            byte[] rest = readExactly(12);
            SimpleReply s = SimpleReply.decode(ByteBuffer.allocate(16).putInt(magic).put(rest).flip());
            Request r = pending.remove(s.cookie());
            if (r == null) {
                throw new NbdProtocolException("simple reply for unknown cookie " + s.cookie());
            }
            byte[] data = r.type() == CMD_READ && s.error() == 0 ? readExactly((int) r.length()) : new byte[0];
            return new Reply(s.cookie(), s.error(), "", data, null, false, 0);
        }
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw new NbdProtocolException(String.format("bad reply magic 0x%08x", magic));
        }
        int error = 0;
        String message = "";
        byte[] data = null;
        Chunks.BlockStatus status = null;
        int chunks = 0;
        long cookie;
        Request r = null;
        while (true) {
            ChunkHeader h = ChunkHeader.decode(ByteBuffer.allocate(20).putInt(magic).put(readExactly(16)).flip());
            cookie = h.cookie();
            r = r != null ? r : pending.get(cookie);
            if (r == null) {
                throw new NbdProtocolException("chunk for unknown cookie " + cookie);
            }
            chunks++;
            ByteBuffer payload = ByteBuffer.wrap(readExactly((int) h.length()));
            switch (h.type()) {
                case CHUNK_OFFSET_DATA -> {
                    long offset = payload.getLong();
                    data = data != null ? data : new byte[(int) r.length()];
                    payload.get(data, (int) (offset - r.offset()), payload.remaining());
                }
                case CHUNK_OFFSET_HOLE -> {
                    data = data != null ? data : new byte[(int) r.length()];
                }
                case CHUNK_BLOCK_STATUS -> status = Chunks.decodeBlockStatus(payload);
                case CHUNK_ERROR, CHUNK_ERROR_OFFSET -> {
                    Chunks.Error e = Chunks.decodeError(h.type(), payload);
                    error = e.errno();
                    message = e.message();
                }
                case CHUNK_NONE -> { }
                default -> throw new NbdProtocolException("unknown chunk type " + h.type());
            }
            if (h.done()) {
                break;
            }
            magic = in.readInt();
        }
        pending.remove(cookie);
        return new Reply(cookie, error, message, data == null ? new byte[0] : data, status, true, chunks);
    }

    // ---- synchronous helpers

    public Reply call(int type, int flags, long offset, long length, byte[] payload) throws IOException {
        long cookie = send(type, flags, offset, length, payload);
        Reply r = readReply();
        if (r.cookie() != cookie) {
            throw new NbdProtocolException("reply for cookie " + r.cookie() + ", expected " + cookie);
        }
        return r;
    }

    public byte[] read(long offset, int length) throws IOException {
        Reply r = call(CMD_READ, 0, offset, length, null);
        if (r.error() != 0) {
            throw new IOException("READ failed with errno " + r.error() + ": " + r.message());
        }
        return r.data();
    }

    public int write(long offset, byte[] data, int flags) throws IOException {
        return call(CMD_WRITE, flags, offset, data.length, data).error();
    }

    public int flush() throws IOException {
        return call(CMD_FLUSH, 0, 0, 0, null).error();
    }

    /** Sends DISC and waits until the server closes the connection. */
    public void disconnect() throws IOException {
        send(CMD_DISC, 0, 0, 0, null);
        expectClosed();
    }

    /** Waits until the server closes the connection; fails if it sends anything or times out. */
    public void expectClosed() throws IOException {
        int b;
        try {
            b = in.read();
        } catch (java.net.SocketException e) {
            // A close with unread input in the server's buffer arrives as a reset.
            return;
        }
        if (b >= 0) {
            throw new NbdProtocolException("expected the server to close the connection, got byte " + b);
        }
    }

    public boolean structured() {
        return structured;
    }

    public InputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private byte[] readExactly(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("connection closed after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    private static byte[] array(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
