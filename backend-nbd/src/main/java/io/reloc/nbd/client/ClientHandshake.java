package io.reloc.nbd.client;

import io.reloc.api.BlockSizes;
import io.reloc.api.HotRegion;
import io.reloc.nbd.protocol.ExportInfoRequest;
import io.reloc.nbd.protocol.ExportNameReply;
import io.reloc.nbd.protocol.Greeting;
import io.reloc.nbd.protocol.InfoReply;
import io.reloc.nbd.protocol.MetaContextEntry;
import io.reloc.nbd.protocol.MetaContextRequest;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.OptionHeader;
import io.reloc.nbd.protocol.OptionReplyHeader;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.RelocHeat;
import io.reloc.nbd.protocol.RelocTracking;
import io.reloc.nbd.protocol.ServerEntry;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.reloc.nbd.protocol.NbdConstants.*;

/**
 * The client side of the fixed newstyle handshake: structured replies, {@code base:allocation},
 * Reloc's own options, then GO asking for block sizes, all sent at once (pipelined), or
 * EXPORT_NAME on servers that do not know GO. Failures are
 * IOExceptions whose message names the server and says what to do.
 */
final class ClientHandshake {
    /** Option replies are short; a longer one means the stream is not what we think it is. */
    private static final long MAX_OPTION_REPLY = 1 << 20;
    /** Larger payloads than this are never sent anyway; capping keeps sizes in an int. */
    private static final long MAX_PAYLOAD_CAP = 1L << 30;

    private final NbdTransport transport;
    private final String exportName;
    private final List<String> channelOffer;
    private final boolean tracking;
    private boolean noZeroes;

    private ClientHandshake(NbdTransport transport, String exportName, List<String> channelOffer, boolean tracking) {
        this.transport = transport;
        this.exportName = exportName;
        this.channelOffer = List.copyOf(channelOffer);
        this.tracking = tracking;
    }

    /** Negotiates {@code exportName} and leaves the transport in the transmission phase. */
    static Negotiated negotiate(NbdTransport transport, String exportName) throws IOException {
        return negotiate(transport, exportName, List.of());
    }

    /**
     * Like {@link #negotiate(NbdTransport, String)}, and offers the relocation channel with these
     * codecs (none: not offered).
     */
    static Negotiated negotiate(NbdTransport transport, String exportName, List<String> channelOffer)
            throws IOException {
        return negotiate(transport, exportName, channelOffer, false);
    }

    /**
     * Like {@link #negotiate(NbdTransport, String, List)}, and asks for write tracking (hybrid
     * pre-copy) when {@code tracking}; {@link Negotiated#tracking()} says whether it was granted.
     */
    static Negotiated negotiate(NbdTransport transport, String exportName, List<String> channelOffer, boolean tracking)
            throws IOException {
        return new ClientHandshake(transport, exportName, channelOffer, tracking).run();
    }

    /**
     * Asks for the hot regions of {@code exportName} with {@link io.reloc.nbd.protocol.RelocHeat}
     * and ends the handshake with ABORT: the transport is done afterwards.
     *
     * @return the regions, hottest first; empty when the server has no map for the export or does
     *     not know the request (any server but Reloc)
     */
    static List<HotRegion> hotRegions(NbdTransport transport, String exportName, int limit) throws IOException {
        ClientHandshake handshake = new ClientHandshake(transport, exportName, List.of(), false);
        if (!handshake.greet()) {
            return List.of(); // a plain newstyle server may drop the connection on an unknown option
        }
        handshake.sendOption(OPT_RELOC_HEAT, RelocHeat.encodeRequest(new RelocHeat.Request(exportName, limit)));
        Reply reply = handshake.readReply(OPT_RELOC_HEAT);
        List<HotRegion> regions;
        if (reply.header().type() == REP_ACK) {
            regions = RelocHeat.decodeRegions(reply.data());
        } else if (reply.header().type() == REP_ERR_UNKNOWN) {
            throw handshake.unknownExport(reply);
        } else if (reply.header().isError()) {
            handshake.failOnTls(reply);
            regions = List.of();
        } else {
            throw handshake.unexpected(reply);
        }
        handshake.sendOption(OPT_ABORT, ByteBuffer.allocate(0));
        return regions;
    }

    /** Reads the greeting and answers it; whether the server is fixed newstyle (knows options). */
    private boolean greet() throws IOException {
        Greeting greeting;
        try {
            greeting = Greeting.decode(transport.read(Greeting.SIZE, "the greeting"));
        } catch (NbdProtocolException e) {
            throw new IOException(transport.server() + " is not an NBD server (or not a newstyle one): " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new IOException(transport.server() + " closed the connection before greeting; is it an NBD server "
                    + "that accepts more connections?", e);
        }
        boolean fixed = (greeting.handshakeFlags() & FLAG_FIXED_NEWSTYLE) != 0;
        noZeroes = (greeting.handshakeFlags() & FLAG_NO_ZEROES) != 0;
        int clientFlags = (fixed ? CLIENT_FLAG_FIXED_NEWSTYLE : 0) | (noZeroes ? CLIENT_FLAG_NO_ZEROES : 0);
        transport.write(ByteBuffer.allocate(4).putInt(clientFlags).flip());
        return fixed;
    }

    private Negotiated run() throws IOException {
        boolean fixed = greet();
        if (!fixed) {
            // A plain newstyle server may drop the connection on any option it does not know.
            return exportName(false, -1);
        }
        // Every option leaves at once and the replies are read in order: one round trip for the
        // whole negotiation instead of one per option, which over a WAN is most of a connection's
        // opening. Options that need structured replies are sent regardless; a server that refused
        // those refuses them too, and their answers are then ignored.
        sendOption(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0));
        sendOption(OPT_SET_META_CONTEXT, new MetaContextRequest(exportName, List.of(BASE_ALLOCATION)).encode());
        if (!channelOffer.isEmpty()) {
            sendOption(OPT_RELOC_CHANNEL, RelocChannel.encodeOffer(channelOffer));
        }
        if (tracking) {
            sendOption(OPT_RELOC_TRACKING, RelocTracking.encodeOption(exportName));
        }
        sendOption(OPT_GO, new ExportInfoRequest(exportName, List.of(INFO_BLOCK_SIZE)).encode());
        boolean structured = structuredReplies();
        long context = allocationContext();
        String codec = channelOffer.isEmpty() ? "" : channel();
        boolean tracked = tracking && tracking();
        if (!structured) {
            context = -1;
            codec = "";
            tracked = false;
        }
        Negotiated n = go(structured, context);
        return new Negotiated(n.exportName(), n.size(), n.transmissionFlags(), n.structuredReplies(),
                n.allocationContext(), n.blockSizes(), codec, tracked);
    }

    /** The answer to write tracking of the export; false when the server cannot (foreign, or not tracked). */
    private boolean tracking() throws IOException {
        Reply reply = readReply(OPT_RELOC_TRACKING);
        if (reply.header().type() == REP_ACK) {
            return true;
        }
        failOnTls(reply);
        if (reply.header().isError()) {
            return false;
        }
        throw unexpected(reply);
    }

    /** The answer to the relocation channel's offer: the codec the server picked, or empty (plain NBD). */
    private String channel() throws IOException {
        Reply reply = readReply(OPT_RELOC_CHANNEL);
        if (reply.header().type() == REP_ACK) {
            String codec = RelocChannel.decodeChoice(reply.data());
            if (!channelOffer.contains(codec)) {
                throw new NbdProtocolException("NBD server " + transport.server() + " picked codec '" + codec
                        + "', which was not offered");
            }
            return codec;
        }
        failOnTls(reply);
        if (reply.header().isError()) {
            // Not a Reloc server, or the channel is off there: plain NBD.
            return "";
        }
        throw unexpected(reply);
    }

    private boolean structuredReplies() throws IOException {
        Reply reply = readReply(OPT_STRUCTURED_REPLY);
        if (reply.header().type() == REP_ACK) {
            return true;
        }
        failOnTls(reply);
        if (reply.header().isError()) {
            return false;
        }
        throw unexpected(reply);
    }

    private long allocationContext() throws IOException {
        long id = -1;
        while (true) {
            Reply reply = readReply(OPT_SET_META_CONTEXT);
            switch (reply.header().type()) {
                case REP_META_CONTEXT -> {
                    MetaContextEntry entry = MetaContextEntry.decode(reply.data());
                    if (entry.name().equals(BASE_ALLOCATION)) {
                        id = Integer.toUnsignedLong(entry.id());
                    }
                }
                case REP_ACK -> {
                    return id;
                }
                default -> {
                    failOnTls(reply);
                    if (reply.header().isError()) {
                        // Block status is an optimisation; GO reports an unknown export properly.
                        return -1;
                    }
                    throw unexpected(reply);
                }
            }
        }
    }

    private Negotiated go(boolean structured, long context) throws IOException {
        InfoReply.Export export = null;
        BlockSizes sizes = BlockSizes.DEFAULT;
        while (true) {
            Reply reply = readReply(OPT_GO);
            switch (reply.header().type()) {
                case REP_INFO -> {
                    switch (InfoReply.decode(reply.data())) {
                        case InfoReply.Export e -> export = e;
                        case InfoReply.BlockSize b -> sizes = blockSizes(b);
                        case InfoReply.Name n -> { }
                        case InfoReply.Description d -> { }
                        case InfoReply.Unknown u -> { }
                    }
                }
                case REP_ACK -> {
                    if (export == null) {
                        throw new NbdProtocolException("NBD server " + transport.server()
                                + " finished GO without NBD_INFO_EXPORT");
                    }
                    return new Negotiated(exportName, checkedSize(export.size()), export.transmissionFlags(),
                            structured, context, sizes);
                }
                case REP_ERR_UNSUP -> {
                    return exportName(structured, context);
                }
                case REP_ERR_UNKNOWN -> throw unknownExport(reply);
                default -> {
                    failOnTls(reply);
                    if (reply.header().isError()) {
                        throw new IOException("NBD server " + transport.server() + " refused export '" + exportName + "': "
                                + errorText(reply));
                    }
                    throw unexpected(reply);
                }
            }
        }
    }

    private Negotiated exportName(boolean structured, long context) throws IOException {
        sendOption(OPT_EXPORT_NAME, ByteBuffer.wrap(exportName.getBytes(StandardCharsets.UTF_8)));
        ExportNameReply reply;
        try {
            reply = ExportNameReply.decode(transport.read(ExportNameReply.SIZE, "the export name reply"));
            if (!noZeroes) {
                transport.skip(ExportNameReply.ZEROES, "the export name reply");
            }
        } catch (EOFException e) {
            throw new IOException("NBD server " + transport.server() + " has no export '" + exportName
                    + "' (it closed the connection on NBD_OPT_EXPORT_NAME)", e);
        }
        return new Negotiated(exportName, checkedSize(reply.size()), reply.transmissionFlags(), structured, context,
                BlockSizes.DEFAULT);
    }

    private IOException unknownExport(Reply refusal) throws IOException {
        String text = errorText(refusal);
        List<String> names = new ArrayList<>();
        boolean listed = list(names);
        sendOption(OPT_ABORT, ByteBuffer.allocate(0));
        String offers = !listed ? "" : names.isEmpty() ? "; it lists no exports"
                : "; it offers: " + String.join(", ", names.stream().map(n -> n.isEmpty() ? "'' (the default)" : n).toList());
        return new IOException("server " + transport.server() + " has no export '" + exportName + "'" + offers
                + (text.isEmpty() ? "" : " (" + text + ")"));
    }

    /** Asks the export list; false when the server does not give one. */
    private boolean list(List<String> names) throws IOException {
        sendOption(OPT_LIST, ByteBuffer.allocate(0));
        while (true) {
            Reply reply = readReply(OPT_LIST);
            switch (reply.header().type()) {
                case REP_SERVER -> names.add(ServerEntry.decode(reply.data()).name());
                case REP_ACK -> {
                    return true;
                }
                default -> {
                    if (reply.header().isError()) {
                        return false;
                    }
                    throw unexpected(reply);
                }
            }
        }
    }

    /**
     * The server's constraints as a {@link BlockSizes}. The minimum must be valid; a maximum
     * beyond 1 GiB (up to 2^32 - 1, "no limit") is capped there, and a preferred size that does
     * not fit between them is replaced by the nearest one that does.
     */
    private BlockSizes blockSizes(InfoReply.BlockSize b) throws NbdProtocolException {
        int min = b.minimum();
        if (min < 1 || min > 65536 || Integer.bitCount(min) != 1) {
            throw new NbdProtocolException("NBD server " + transport.server() + " sent minimum block size "
                    + Integer.toUnsignedString(min) + ", which is not a power of two up to 64 KiB");
        }
        long max = Math.min(Integer.toUnsignedLong(b.maximum()), MAX_PAYLOAD_CAP);
        max -= max % min;
        if (max < min) {
            throw new NbdProtocolException("NBD server " + transport.server() + " sent maximum payload "
                    + Integer.toUnsignedString(b.maximum()) + ", below its minimum block size " + min);
        }
        long preferred = Integer.toUnsignedLong(b.preferred());
        if (preferred < min || Long.bitCount(preferred) != 1) {
            preferred = Math.max(min, 4096);
        }
        preferred = Math.min(preferred, Long.highestOneBit(max));
        return new BlockSizes(min, (int) preferred, (int) max);
    }

    private long checkedSize(long size) throws NbdProtocolException {
        if (size < 0) {
            throw new NbdProtocolException("NBD server " + transport.server() + " reports an export size beyond 2^63");
        }
        return size;
    }

    private void failOnTls(Reply reply) throws IOException {
        if (reply.header().type() == REP_ERR_TLS_REQD) {
            throw new IOException("NBD server " + transport.server() + " requires TLS, which the NBD source does not "
                    + "support; serve the export without TLS on a trusted network");
        }
    }

    private IOException unexpected(Reply reply) {
        return new NbdProtocolException("NBD server " + transport.server() + " answered "
                + optionName(reply.header().option()) + " with unexpected reply type " + Integer.toUnsignedString(reply.header().type()));
    }

    private static String errorText(Reply reply) {
        return StandardCharsets.UTF_8.decode(reply.data().duplicate()).toString();
    }

    private void sendOption(int option, ByteBuffer data) throws IOException {
        transport.write(OptionHeader.encodeRequest(option, data));
    }

    private record Reply(OptionReplyHeader header, ByteBuffer data) {}

    private Reply readReply(int option) throws IOException {
        OptionReplyHeader header;
        try {
            header = OptionReplyHeader.decode(transport.read(OptionReplyHeader.SIZE, "an option reply"));
        } catch (EOFException e) {
            throw new IOException("NBD server " + transport.server() + " closed the connection during the handshake ("
                    + optionName(option) + " for export '" + exportName + "')", e);
        }
        if (header.option() != option) {
            throw new NbdProtocolException("NBD server " + transport.server() + " answered " + optionName(header.option())
                    + " when " + optionName(option) + " was asked");
        }
        if (header.length() > MAX_OPTION_REPLY) {
            throw new NbdProtocolException("NBD server " + transport.server() + " sent an option reply of "
                    + header.length() + " bytes");
        }
        return new Reply(header, transport.read((int) header.length(), "an option reply"));
    }
}
