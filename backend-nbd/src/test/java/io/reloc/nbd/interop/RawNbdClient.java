package io.reloc.nbd.interop;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The least an NBD client can be: fixed newstyle, NBD_OPT_EXPORT_NAME, simple replies. Unlike
 * qemu or libnbd it sends whatever a test asks, even a write to an export flagged read-only, so a
 * test can see what the server itself enforces.
 */
final class RawNbdClient implements AutoCloseable {
    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int FLAG_READ_ONLY = 1 << 1;

    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454f5054L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long size;
    private final int transmissionFlags;
    private long nextCookie = 1;

    /** A reply to one request: the NBD error number (0 for success) and the data of a read. */
    record Reply(int error, byte[] data) {}

    RawNbdClient(int port, String export) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        expect(NBDMAGIC, in.readLong(), "NBDMAGIC");
        expect(IHAVEOPT, in.readLong(), "IHAVEOPT");
        int handshakeFlags = in.readUnsignedShort();
        boolean noZeroes = (handshakeFlags & 2) != 0;
        out.writeInt(1 | (noZeroes ? 2 : 0));
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        out.writeLong(IHAVEOPT);
        out.writeInt(1); // NBD_OPT_EXPORT_NAME
        out.writeInt(name.length);
        out.write(name);
        out.flush();
        size = in.readLong();
        transmissionFlags = in.readUnsignedShort();
        if (!noZeroes) {
            in.readFully(new byte[124]);
        }
    }

    long size() {
        return size;
    }

    int transmissionFlags() {
        return transmissionFlags;
    }

    /** Sends one request and waits for its simple reply. */
    Reply request(int type, long offset, int length, byte[] payload) throws IOException {
        long cookie = nextCookie++;
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt(length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
        expect(SIMPLE_REPLY_MAGIC, in.readInt(), "simple reply magic");
        int error = in.readInt();
        expect(cookie, in.readLong(), "cookie");
        byte[] data = new byte[0];
        if (type == CMD_READ && error == 0) {
            data = new byte[length];
            in.readFully(data);
        }
        return new Reply(error, data);
    }

    private static void expect(long expected, long actual, String what) throws IOException {
        if (expected != actual) {
            throw new IOException("bad " + what + ": 0x" + Long.toHexString(actual) + ", expected 0x" + Long.toHexString(expected));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.writeInt(REQUEST_MAGIC);
            out.writeShort(0);
            out.writeShort(CMD_DISC);
            out.writeLong(nextCookie++);
            out.writeLong(0);
            out.writeInt(0);
            out.flush();
        } finally {
            socket.close();
        }
    }
}
