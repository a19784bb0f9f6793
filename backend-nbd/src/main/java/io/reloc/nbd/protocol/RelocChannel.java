package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.CHUNK_HEADER_SIZE;
import static io.reloc.nbd.protocol.NbdConstants.CHUNK_RELOC_BATCH;

/**
 * Wire formats of Reloc's relocation channel, an NBD extension used only between Reloc peers.
 *
 * <p>Negotiation: after STRUCTURED_REPLY and before GO the client sends
 * {@link NbdConstants#OPT_RELOC_CHANNEL} with the codecs it accepts, in preference order: u16
 * count, then per codec a u8 length and that many bytes of ASCII name. The server answers ACK
 * whose data is the u8 length and name of the codec it picked, or ERR_UNSUP when it has none of
 * them (or the channel is off; foreign servers answer ERR_UNSUP too, so the client falls back to
 * plain READ). The client must decode every codec it offered: a server may use any offered codec
 * it has, batch by batch, the picked one being only its first choice.
 *
 * <p>Transfer: {@link NbdConstants#CMD_RELOC_READ} asks a range like READ. The reply is a series
 * of {@link NbdConstants#CHUNK_RELOC_BATCH} chunks (the last with DONE), or an ERROR chunk. A
 * batch payload is: u64 offset, u32 decoded length, u32 CRC-32C of the decoded bytes, u8 codec
 * id, then the encoded bytes. Codec id 0 is raw bytes, {@link #ZERO} is a run of zeroes (no
 * encoded bytes, CRC 0), and {@code 1 + i} is the {@code i}-th codec of the client's offer. The
 * encoded bytes are never longer than the decoded ones: a server sends raw bytes when a codec
 * would not shrink them, which also bounds what a client must buffer.
 *
 * <p>Rate: {@link NbdConstants#CMD_RELOC_RATE} tells the server how many bytes per second of
 * replies reach the client (the offset field; length 0, no flags), for the server's codec choice.
 * The server answers a simple reply: OK, or EINVAL for a rate outside 1 to {@link #MAX_RATE}
 * (which it ignores) or when the channel was not negotiated. Servers that predate the command
 * answer EINVAL too; a client then stops sending it.
 *
 * <p>Pacing: {@link NbdConstants#CMD_RELOC_PACE} asks the server to send this connection's
 * replies at no more than a rate: offset is bytes per second on the wire (0: as fast as it can
 * again), length a pacing group the client picked at random, no flags. Every connection from
 * one client address with the same group shares the rate the last RELOC_PACE of the group told
 * (rates below 1 Mbit/s count as 1 Mbit/s); replies to that address's other connections are not
 * held back, but count against it. A relocating client paces its background copy's connections
 * this way at the copy's rate limit, so that a backlog the server answers at once (after a stall)
 * waits at the server, where its demand replies pass it, rather than in the link's queue. The
 * server answers a simple reply: OK, or EINVAL for a rate above {@link #MAX_RATE}, flags, or
 * when the channel was not negotiated; servers that predate the command answer EINVAL too, and
 * a client then stops sending it.
 */
public final class RelocChannel {
    private RelocChannel() {}

    /** Codec id of raw (unencoded) bytes. */
    public static final int RAW = 0;
    /** Codec id of a zero run. */
    public static final int ZERO = 0xFF;
    /** Most codecs one offer may list (ids 1 to 254). */
    public static final int MAX_OFFER = 254;
    /** Largest link rate a RELOC_RATE may report, in bytes per second (1 Tbit/s). */
    public static final long MAX_RATE = 125_000_000_000L;
    /** Bytes of a batch payload before the encoded bytes. */
    public static final int BATCH_HEADER_SIZE = 8 + 4 + 4 + 1;

    /** Why a RELOC_RATE of {@code bytesPerSecond} is refused, or null when it is acceptable. */
    public static String checkRate(long bytesPerSecond) {
        if (bytesPerSecond < 1 || bytesPerSecond > MAX_RATE) {
            return "RELOC_RATE of " + Long.toUnsignedString(bytesPerSecond) + " bytes/s; 1 to " + MAX_RATE + " allowed";
        }
        return null;
    }

    /** Why a RELOC_PACE of {@code bytesPerSecond} is refused, or null when it is acceptable (0 stops pacing). */
    public static String checkPace(long bytesPerSecond) {
        if (bytesPerSecond < 0 || bytesPerSecond > MAX_RATE) {
            return "RELOC_PACE of " + Long.toUnsignedString(bytesPerSecond) + " bytes/s; 0 to " + MAX_RATE + " allowed";
        }
        return null;
    }

    /** The client's codec list, as OPT_RELOC_CHANNEL data. */
    public static ByteBuffer encodeOffer(List<String> codecs) {
        if (codecs.isEmpty() || codecs.size() > MAX_OFFER) {
            throw new IllegalArgumentException("an offer lists 1 to " + MAX_OFFER + " codecs: " + codecs);
        }
        int size = 2;
        for (String c : codecs) {
            size += 1 + name(c).length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).putShort((short) codecs.size());
        for (String c : codecs) {
            byte[] n = name(c);
            out.put((byte) n.length).put(n);
        }
        return out.flip();
    }

    /** @throws NbdProtocolException when the data is truncated, empty, too long or has trailing bytes */
    public static List<String> decodeOffer(ByteBuffer data) throws NbdProtocolException {
        int count = Short.toUnsignedInt(NbdStrings.getShort(data, "RELOC_CHANNEL offer"));
        if (count == 0 || count > MAX_OFFER) {
            throw new NbdProtocolException("RELOC_CHANNEL offer of " + count + " codecs; 1 to " + MAX_OFFER + " allowed");
        }
        List<String> names = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            names.add(shortName(data, "RELOC_CHANNEL offer"));
        }
        if (data.hasRemaining()) {
            throw new NbdProtocolException("RELOC_CHANNEL offer has " + data.remaining() + " trailing bytes");
        }
        return names;
    }

    /** The server's pick, as ACK data. */
    public static ByteBuffer encodeChoice(String codec) {
        byte[] n = name(codec);
        return ByteBuffer.allocate(1 + n.length).put((byte) n.length).put(n).flip();
    }

    public static String decodeChoice(ByteBuffer data) throws NbdProtocolException {
        String name = shortName(data, "RELOC_CHANNEL reply");
        if (data.hasRemaining()) {
            throw new NbdProtocolException("RELOC_CHANNEL reply has " + data.remaining() + " trailing bytes");
        }
        return name;
    }

    /**
     * The fixed part of a batch.
     *
     * @param decodedLength 1 to 2^32 - 1 bytes
     * @param codecId {@link #RAW}, {@link #ZERO} or 1 + an index into the offer
     */
    public record Batch(long offset, long decodedLength, int crc32c, int codecId) {
        public boolean zero() {
            return codecId == ZERO;
        }
    }

    /** Writes a whole batch chunk: header, batch header and {@code encoded} (may be empty). */
    public static void encodeBatch(ByteBuffer dst, int flags, long cookie, Batch batch, ByteBuffer encoded) {
        new ChunkHeader(flags, CHUNK_RELOC_BATCH, cookie, BATCH_HEADER_SIZE + (long) encoded.remaining()).encode(dst);
        dst.putLong(batch.offset()).putInt((int) batch.decodedLength()).putInt(batch.crc32c())
                .put((byte) batch.codecId()).put(encoded.duplicate());
    }

    /** Bytes {@link #encodeBatch} writes for {@code encodedLength} encoded bytes. */
    public static int batchSize(int encodedLength) {
        return CHUNK_HEADER_SIZE + BATCH_HEADER_SIZE + encodedLength;
    }

    /**
     * Decodes the {@link #BATCH_HEADER_SIZE} bytes at the start of a batch chunk whose payload is
     * {@code payloadLength} bytes, and checks what can be checked without the data: a zero run has
     * no encoded bytes, a raw batch exactly its decoded length, any other never more than it.
     */
    public static Batch decodeBatch(ByteBuffer header, long payloadLength) throws NbdProtocolException {
        if (payloadLength < BATCH_HEADER_SIZE) {
            throw new NbdProtocolException("RELOC batch chunk of " + payloadLength + " bytes is shorter than its "
                    + BATCH_HEADER_SIZE + "-byte header");
        }
        long offset = NbdStrings.getLong(header, "RELOC batch");
        long decoded = Integer.toUnsignedLong(NbdStrings.getInt(header, "RELOC batch"));
        int crc = NbdStrings.getInt(header, "RELOC batch");
        if (!header.hasRemaining()) {
            throw new NbdProtocolException("truncated RELOC batch header");
        }
        int codec = Byte.toUnsignedInt(header.get());
        long encoded = payloadLength - BATCH_HEADER_SIZE;
        if (offset < 0 || decoded == 0) {
            throw new NbdProtocolException("RELOC batch of " + decoded + " bytes at " + Long.toUnsignedString(offset)
                    + " is malformed");
        }
        boolean ok = switch (codec) {
            case ZERO -> encoded == 0;
            case RAW -> encoded == decoded;
            default -> encoded > 0 && encoded <= decoded;
        };
        if (!ok) {
            throw new NbdProtocolException("RELOC batch with codec id " + codec + " carries " + encoded
                    + " encoded bytes for " + decoded + " decoded ones");
        }
        return new Batch(offset, decoded, crc, codec);
    }

    private static String shortName(ByteBuffer data, String what) throws NbdProtocolException {
        if (!data.hasRemaining()) {
            throw new NbdProtocolException("truncated " + what);
        }
        int length = Byte.toUnsignedInt(data.get());
        if (length == 0 || length > data.remaining()) {
            throw new NbdProtocolException(what + " names a codec of " + length + " bytes, with " + data.remaining()
                    + " left");
        }
        byte[] n = new byte[length];
        data.get(n);
        return new String(n, StandardCharsets.US_ASCII);
    }

    private static byte[] name(String codec) {
        byte[] n = codec.getBytes(StandardCharsets.US_ASCII);
        if (n.length == 0 || n.length > 255) {
            throw new IllegalArgumentException("codec name of 1 to 255 ASCII characters expected: '" + codec + "'");
        }
        return n;
    }
}
