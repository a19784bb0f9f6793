package io.reloc.bench.workload;

import io.reloc.nbd.protocol.ExportInfoRequest;
import io.reloc.nbd.protocol.Greeting;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.OptionHeader;
import io.reloc.nbd.protocol.OptionReplyHeader;
import io.reloc.nbd.protocol.Request;
import io.reloc.nbd.protocol.SimpleReply;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.CLIENT_FLAG_FIXED_NEWSTYLE;
import static io.reloc.nbd.protocol.NbdConstants.CLIENT_FLAG_NO_ZEROES;
import static io.reloc.nbd.protocol.NbdConstants.CMD_DISC;
import static io.reloc.nbd.protocol.NbdConstants.CMD_FLUSH;
import static io.reloc.nbd.protocol.NbdConstants.CMD_READ;
import static io.reloc.nbd.protocol.NbdConstants.CMD_WRITE;
import static io.reloc.nbd.protocol.NbdConstants.FLAG_NO_ZEROES;
import static io.reloc.nbd.protocol.NbdConstants.INFO_EXPORT;
import static io.reloc.nbd.protocol.NbdConstants.OPT_GO;
import static io.reloc.nbd.protocol.NbdConstants.REP_ACK;
import static io.reloc.nbd.protocol.NbdConstants.REP_INFO;
import static io.reloc.nbd.protocol.NbdConstants.TF_READ_ONLY;

/**
 * A workload's "VM": a minimal NBD client that reads and writes, one request at a time (queue
 * depth one, as a guest doing synchronous I/O). The source connector of backend-nbd only reads, since a
 * relocation never writes to its source; a guest does. It negotiates fixed newstyle and GO without
 * structured replies, so every reply is a simple reply whose READ data follows the header.
 *
 * <p>Not thread safe: one caller at a time. Requests in flight at once take a connection each
 * ({@link ClientPool}).
 */
public final class NbdClient implements BlockClient, Closeable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final long size;
    private long cookie;

    private NbdClient(Socket socket, DataInputStream in, OutputStream out, long size) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.size = size;
    }

    /**
     * Connects and negotiates {@code export}.
     *
     * @throws IOException when the server is unreachable, refuses the export, or serves it read-only
     */
    public static NbdClient open(InetSocketAddress address, String export) throws IOException {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(120_000);  // a hung server fails the run instead of hanging it
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            Greeting greeting = Greeting.decode(ByteBuffer.wrap(readExactly(in, Greeting.SIZE)));
            int flags = CLIENT_FLAG_FIXED_NEWSTYLE | ((greeting.handshakeFlags() & FLAG_NO_ZEROES) != 0 ? CLIENT_FLAG_NO_ZEROES : 0);
            out.write(ByteBuffer.allocate(4).putInt(flags).array());
            out.write(array(OptionHeader.encodeRequest(OPT_GO, new ExportInfoRequest(export, List.of()).encode())));
            out.flush();
            long size = -1;
            int transmissionFlags = 0;
            while (true) {
                OptionReplyHeader h = OptionReplyHeader.decode(ByteBuffer.wrap(readExactly(in, OptionReplyHeader.SIZE)));
                ByteBuffer data = ByteBuffer.wrap(readExactly(in, Math.toIntExact(h.length())));
                if (h.isError()) {
                    throw new IOException("the NBD server refused export '" + export + "': "
                            + StandardCharsets.UTF_8.decode(data));
                }
                if (h.type() == REP_INFO && data.remaining() >= 12 && data.getShort(0) == INFO_EXPORT) {
                    size = data.getLong(2);
                    transmissionFlags = Short.toUnsignedInt(data.getShort(10));
                } else if (h.type() == REP_ACK) {
                    break;
                }
            }
            if (size < 0) {
                throw new NbdProtocolException("the NBD server acknowledged GO without sending the export's size");
            }
            if ((transmissionFlags & TF_READ_ONLY) != 0) {
                throw new IOException("export '" + export + "' is read-only; a workload needs to write");
            }
            return new NbdClient(socket, in, out, size);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    public long size() {
        return size;
    }

    @Override
    public void read(long offset, byte[] dst) throws IOException {
        call(CMD_READ, offset, dst.length, null);
        in.readFully(dst);
    }

    @Override
    public void write(long offset, byte[] src) throws IOException {
        call(CMD_WRITE, offset, src.length, src);
    }

    @Override
    public void flush() throws IOException {
        call(CMD_FLUSH, 0, 0, null);
    }

    private void call(int type, long offset, int length, byte[] payload) throws IOException {
        long c = ++cookie;
        out.write(array(new Request(0, type, c, offset, length).encode()));
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
        SimpleReply reply = SimpleReply.decode(ByteBuffer.wrap(readExactly(in, 16)));
        if (reply.cookie() != c) {
            throw new NbdProtocolException("reply for cookie " + reply.cookie() + ", expected " + c);
        }
        if (reply.error() != 0) {
            throw new IOException("NBD request " + type + " at offset " + offset + " (" + length
                    + " bytes) failed with errno " + reply.error());
        }
    }

    /** Sends DISC and closes; a failure to say goodbye only closes the socket. */
    @Override
    public void close() throws IOException {
        try {
            out.write(array(new Request(0, CMD_DISC, ++cookie, 0, 0).encode()));
            out.flush();
        } catch (IOException ignored) {
            // the connection is gone already
        } finally {
            socket.close();
        }
    }

    private static byte[] readExactly(DataInputStream in, int n) throws IOException {
        byte[] b = new byte[n];
        try {
            in.readFully(b);
        } catch (EOFException e) {
            throw new EOFException("the NBD server closed the connection");
        }
        return b;
    }

    private static byte[] array(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
