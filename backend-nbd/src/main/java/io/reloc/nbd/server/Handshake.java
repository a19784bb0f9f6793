package io.reloc.nbd.server;

import io.reloc.api.AccessHeat;
import io.reloc.api.BlockDevice;
import io.reloc.api.BlockSizes;
import io.reloc.api.Export;
import io.reloc.api.ExportCatalog;
import io.reloc.core.heat.HeatRecordingDevice;
import io.reloc.core.tracking.TrackedDevice;
import io.reloc.nbd.channel.AdaptiveChoice;
import io.reloc.nbd.channel.BatchEncoder;
import io.reloc.nbd.channel.ChannelCodecs;
import io.reloc.nbd.channel.CodecEstimates;
import io.reloc.nbd.protocol.ExportInfoRequest;
import io.reloc.nbd.protocol.Greeting;
import io.reloc.nbd.protocol.InfoReply;
import io.reloc.nbd.protocol.MetaContextEntry;
import io.reloc.nbd.protocol.MetaContextRequest;
import io.reloc.nbd.protocol.NbdConstants;
import io.reloc.nbd.protocol.NbdProtocolException;
import io.reloc.nbd.protocol.NbdStrings;
import io.reloc.nbd.protocol.OptionHeader;
import io.reloc.nbd.protocol.OptionReplyHeader;
import io.reloc.nbd.protocol.RelocChannel;
import io.reloc.nbd.protocol.RelocHeat;
import io.reloc.nbd.protocol.RelocTracking;
import io.reloc.nbd.protocol.ServerEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

import static io.reloc.nbd.protocol.NbdConstants.*;
import static java.util.Objects.requireNonNull;

/**
 * The server side of the fixed newstyle handshake on one connection: greeting, client flags, then
 * options until EXPORT_NAME or a successful GO (transmission) or ABORT or a protocol violation (no
 * transmission). Not thread safe; one instance per connection.
 */
final class Handshake {
    private static final Logger log = LoggerFactory.getLogger(Handshake.class);

    /** Option data beyond this is not buffered: the connection is dropped instead. */
    static final int MAX_OPTION_LENGTH = 64 * 1024;
    /** The id of {@code base:allocation}; any fixed non-zero value works. */
    static final int ALLOCATION_CONTEXT_ID = 1;

    private final SocketChannel channel;
    private final ExportCatalog exports;
    private final String peer;
    private final ChannelCodecs channelCodecs;
    private final CodecEstimates codecEstimates;

    private boolean noZeroes;
    /** The relocation channel's encoder once RELOC_CHANNEL was accepted. */
    private BatchEncoder relocChannel;
    private boolean structuredReplies;
    /** The export SET_META_CONTEXT selected base:allocation for, if any. */
    private Export metaContextExport;
    /** The export RELOC_TRACKING was accepted for, if any. */
    private Export trackingExport;

    Handshake(SocketChannel channel, ExportCatalog exports, String peer) {
        this(channel, exports, peer, ChannelCodecs.none());
    }

    Handshake(SocketChannel channel, ExportCatalog exports, String peer, ChannelCodecs channelCodecs) {
        this(channel, exports, peer, channelCodecs, new CodecEstimates());
    }

    /** @param codecEstimates the codecs' measurements, shared by the server's connections */
    Handshake(SocketChannel channel, ExportCatalog exports, String peer, ChannelCodecs channelCodecs,
              CodecEstimates codecEstimates) {
        this.codecEstimates = requireNonNull(codecEstimates, "codecEstimates is null");
        this.channel = requireNonNull(channel, "channel is null");
        this.exports = requireNonNull(exports, "exports is null");
        this.peer = requireNonNull(peer, "peer is null");
        this.channelCodecs = requireNonNull(channelCodecs, "channelCodecs is null");
    }

    /**
     * Runs the handshake.
     *
     * @return the session to serve, or empty when the client aborted or asked for an unknown export
     *     with EXPORT_NAME (the caller closes the connection)
     * @throws NbdProtocolException when the client breaks the protocol
     */
    Optional<Session> run() throws IOException {
        ChannelIo.writeFully(channel, new Greeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES).encode());
        ByteBuffer flagsBuffer = ByteBuffer.allocate(4);
        ChannelIo.readFully(channel, flagsBuffer, "the client flags");
        int clientFlags = flagsBuffer.flip().getInt();
        int known = CLIENT_FLAG_FIXED_NEWSTYLE | CLIENT_FLAG_NO_ZEROES;
        if ((clientFlags & ~known) != 0) {
            throw new NbdProtocolException(String.format("client flags 0x%08x have bits this server did not offer (known: 0x%x)",
                    clientFlags, known));
        }
        noZeroes = (clientFlags & CLIENT_FLAG_NO_ZEROES) != 0;

        while (true) {
            ByteBuffer headerBuffer = ByteBuffer.allocate(OptionHeader.SIZE);
            ChannelIo.readFully(channel, headerBuffer, "an option header");
            OptionHeader header = OptionHeader.decode(headerBuffer.flip());
            if (header.length() > MAX_OPTION_LENGTH) {
                throw new NbdProtocolException(optionName(header.option()) + " carries " + header.length()
                        + " bytes of data; this server accepts at most " + MAX_OPTION_LENGTH);
            }
            ByteBuffer data = ByteBuffer.allocate((int) header.length());
            ChannelIo.readFully(channel, data, "the data of " + optionName(header.option()));
            data.flip();
            log.debug("{}: option {} with {} bytes", peer, optionName(header.option()), header.length());
            Outcome outcome = handle(header.option(), data);
            switch (outcome) {
                case Outcome.Continue c -> { }
                case Outcome.Transmit t -> {
                    return Optional.of(t.session());
                }
                case Outcome.Stop s -> {
                    return Optional.empty();
                }
            }
        }
    }

    private sealed interface Outcome {
        record Continue() implements Outcome {}

        record Transmit(Session session) implements Outcome {}

        record Stop() implements Outcome {}

        Outcome CONTINUE = new Continue();
    }

    private Outcome handle(int option, ByteBuffer data) throws IOException {
        return switch (option) {
            case OPT_EXPORT_NAME -> exportName(data);
            case OPT_ABORT -> {
                try {
                    reply(option, REP_ACK, ByteBuffer.allocate(0));
                } catch (IOException e) {
                    // The client may close right after sending ABORT; that is allowed.
                    log.debug("{}: closed before the ABORT reply: {}", peer, e.toString());
                }
                yield new Outcome.Stop();
            }
            case OPT_LIST -> list(data);
            case OPT_STARTTLS -> {
                if (data.hasRemaining()) {
                    error(option, REP_ERR_INVALID, "STARTTLS carries no data");
                } else {
                    error(option, REP_ERR_POLICY, "TLS is not configured on this server; connect without TLS");
                }
                yield Outcome.CONTINUE;
            }
            case OPT_INFO, OPT_GO -> info(option, data);
            case OPT_STRUCTURED_REPLY -> {
                if (data.hasRemaining()) {
                    error(option, REP_ERR_INVALID, "STRUCTURED_REPLY carries no data");
                } else {
                    structuredReplies = true;
                    reply(option, REP_ACK, ByteBuffer.allocate(0));
                }
                yield Outcome.CONTINUE;
            }
            case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(option, data);
            case OPT_RELOC_CHANNEL -> relocChannel(data);
            case OPT_RELOC_HEAT -> heat(data);
            case OPT_RELOC_TRACKING -> relocTracking(data);
            case OPT_EXTENDED_HEADERS -> {
                error(option, REP_ERR_UNSUP, "extended headers are not supported by this server");
                yield Outcome.CONTINUE;
            }
            default -> {
                log.info("{}: unsupported option {}; answered ERR_UNSUP", peer, Integer.toUnsignedString(option));
                error(option, REP_ERR_UNSUP, "option " + Integer.toUnsignedString(option) + " is not supported by this server");
                yield Outcome.CONTINUE;
            }
        };
    }

    /**
     * Picks the first codec of the client's offer this server has; an adaptive server may use any
     * of the offered codecs it has, batch by batch. See {@link RelocChannel}.
     */
    private Outcome relocChannel(ByteBuffer data) throws IOException {
        if (channelCodecs.isEmpty()) {
            error(OPT_RELOC_CHANNEL, REP_ERR_UNSUP, "the relocation channel is off on this server");
            return Outcome.CONTINUE;
        }
        if (!structuredReplies) {
            error(OPT_RELOC_CHANNEL, REP_ERR_INVALID, "RELOC_CHANNEL needs STRUCTURED_REPLY first");
            return Outcome.CONTINUE;
        }
        List<String> offer;
        try {
            offer = RelocChannel.decodeOffer(data);
        } catch (NbdProtocolException e) {
            error(OPT_RELOC_CHANNEL, REP_ERR_INVALID, "malformed RELOC_CHANNEL: " + e.getMessage());
            return Outcome.CONTINUE;
        }
        OptionalInt pick = channelCodecs.pick(offer);
        if (pick.isEmpty()) {
            log.info("{}: relocation channel offered with codecs {}, none of which this server has ({})", peer, offer,
                    channelCodecs.names());
            relocChannel = null;
            error(OPT_RELOC_CHANNEL, REP_ERR_UNSUP, "none of the codecs " + offer + " is available here; this server has "
                    + channelCodecs.names());
            return Outcome.CONTINUE;
        }
        String name = offer.get(pick.getAsInt());
        var candidates = channelCodecs.candidates(offer);
        relocChannel = new BatchEncoder(candidates, channelCodecs.adaptive()
                ? new AdaptiveChoice(candidates.stream().map(c -> c.codec().name()).toList(), codecEstimates) : null);
        log.debug("{}: relocation channel with codec {}{}", peer, name, channelCodecs.adaptive()
                ? ", adaptive among " + candidates.stream().map(c -> c.codec().name()).toList() : "");
        reply(OPT_RELOC_CHANNEL, REP_ACK, RelocChannel.encodeChoice(name));
        return Outcome.CONTINUE;
    }

    /** Accepts write tracking for an export whose writes are recorded; see {@link RelocTracking}. */
    private Outcome relocTracking(ByteBuffer data) throws IOException {
        if (!structuredReplies) {
            error(OPT_RELOC_TRACKING, REP_ERR_INVALID, "RELOC_TRACKING needs STRUCTURED_REPLY first");
            return Outcome.CONTINUE;
        }
        String name;
        try {
            name = RelocTracking.decodeOption(data);
        } catch (NbdProtocolException e) {
            error(OPT_RELOC_TRACKING, REP_ERR_INVALID, "malformed RELOC_TRACKING: " + e.getMessage());
            return Outcome.CONTINUE;
        }
        Optional<Export> export = resolve(name);
        if (export.isEmpty()) {
            error(OPT_RELOC_TRACKING, REP_ERR_UNKNOWN, "export '" + name + "' does not exist; exports: " + names());
            return Outcome.CONTINUE;
        }
        if (tracked(export.get().device()).isEmpty()) {
            trackingExport = null;
            error(OPT_RELOC_TRACKING, REP_ERR_UNSUP, "export '" + name + "' does not record its writes here");
            return Outcome.CONTINUE;
        }
        trackingExport = export.get();
        log.debug("{}: write tracking for export '{}'", peer, name);
        reply(OPT_RELOC_TRACKING, REP_ACK, ByteBuffer.allocate(0));
        return Outcome.CONTINUE;
    }

    /** Sends an export's hot regions when its device records them; see {@link RelocHeat}. */
    private Outcome heat(ByteBuffer data) throws IOException {
        RelocHeat.Request request;
        try {
            request = RelocHeat.decodeRequest(data);
        } catch (NbdProtocolException e) {
            error(OPT_RELOC_HEAT, REP_ERR_INVALID, "malformed RELOC_HEAT: " + e.getMessage());
            return Outcome.CONTINUE;
        }
        Optional<Export> export = resolve(request.exportName());
        if (export.isEmpty()) {
            error(OPT_RELOC_HEAT, REP_ERR_UNKNOWN, "no export '" + request.exportName() + "'; exports: " + names());
        } else if (export.get().device() instanceof AccessHeat heat) {
            var regions = heat.hottest(request.limit());
            log.debug("{}: sent {} hot regions of '{}'", peer, regions.size(), export.get().name());
            reply(OPT_RELOC_HEAT, REP_ACK, RelocHeat.encodeRegions(regions.subList(0, Math.min(regions.size(), request.limit()))));
        } else {
            error(OPT_RELOC_HEAT, REP_ERR_UNSUP, "export '" + export.get().name() + "' records no access heat");
        }
        return Outcome.CONTINUE;
    }

    private Outcome exportName(ByteBuffer data) throws IOException {
        String name = NbdStrings.getFixed(data, data.remaining(), "export name");
        Optional<Export> export = resolve(name);
        if (export.isEmpty()) {
            // EXPORT_NAME has no error reply: the protocol says to disconnect.
            log.warn("{}: EXPORT_NAME asked for unknown export '{}'; disconnecting (exports: {})", peer, name, names());
            return new Outcome.Stop();
        }
        Session session = session(export.get());
        ByteBuffer out = ByteBuffer.allocate(8 + 2 + (noZeroes ? 0 : 124));
        out.putLong(export.get().device().size()).putShort((short) session.transmissionFlags());
        ChannelIo.writeFully(channel, out.position(out.capacity()).flip());
        return new Outcome.Transmit(session);
    }

    private Outcome list(ByteBuffer data) throws IOException {
        if (data.hasRemaining()) {
            error(OPT_LIST, REP_ERR_INVALID, "LIST carries no data");
            return Outcome.CONTINUE;
        }
        for (Export e : exports.list()) {
            reply(OPT_LIST, REP_SERVER, new ServerEntry(e.name(), e.description()).encode());
        }
        reply(OPT_LIST, REP_ACK, ByteBuffer.allocate(0));
        return Outcome.CONTINUE;
    }

    private Outcome info(int option, ByteBuffer data) throws IOException {
        ExportInfoRequest request;
        try {
            request = ExportInfoRequest.decode(data);
        } catch (NbdProtocolException e) {
            log.info("{}: malformed {}: {}", peer, optionName(option), e.getMessage());
            error(option, REP_ERR_INVALID, "malformed " + optionName(option) + ": " + e.getMessage());
            return Outcome.CONTINUE;
        }
        Optional<Export> found = resolve(request.exportName());
        if (found.isEmpty()) {
            log.info("{}: {} asked for unknown export '{}'", peer, optionName(option), request.exportName());
            error(option, REP_ERR_UNKNOWN, "export '" + request.exportName() + "' does not exist; exports: " + names());
            return Outcome.CONTINUE;
        }
        Export export = found.get();
        Session session = session(export);
        reply(option, REP_INFO, new InfoReply.Export(export.device().size(), session.transmissionFlags()).encode());
        for (int type : request.infoTypes().stream().distinct().toList()) {
            switch (type) {
                case INFO_NAME -> reply(option, REP_INFO, new InfoReply.Name(export.name()).encode());
                case INFO_DESCRIPTION -> {
                    // Like nbdkit, say nothing rather than send an empty description.
                    if (!export.description().isEmpty()) {
                        reply(option, REP_INFO, new InfoReply.Description(export.description()).encode());
                    }
                }
                case INFO_BLOCK_SIZE -> {
                    BlockSizes sizes = export.device().blockSizes();
                    reply(option, REP_INFO, new InfoReply.BlockSize(sizes.minimum(), sizes.preferred(),
                            NbdServer.maxPayload(sizes)).encode());
                }
                default -> log.debug("{}: ignoring unknown information request {}", peer, type);
            }
        }
        reply(option, REP_ACK, ByteBuffer.allocate(0));
        if (option == OPT_GO) {
            log.debug("{}: GO for export '{}'", peer, export.name());
            return new Outcome.Transmit(session);
        }
        return Outcome.CONTINUE;
    }

    private Outcome metaContext(int option, ByteBuffer data) throws IOException {
        boolean set = option == OPT_SET_META_CONTEXT;
        if (set && !structuredReplies) {
            error(option, REP_ERR_INVALID, "SET_META_CONTEXT needs STRUCTURED_REPLY first");
            return Outcome.CONTINUE;
        }
        MetaContextRequest request;
        try {
            request = MetaContextRequest.decode(data);
        } catch (NbdProtocolException e) {
            log.info("{}: malformed {}: {}", peer, optionName(option), e.getMessage());
            error(option, REP_ERR_INVALID, "malformed " + optionName(option) + ": " + e.getMessage());
            return Outcome.CONTINUE;
        }
        Optional<Export> export = resolve(request.exportName());
        if (export.isEmpty()) {
            error(option, REP_ERR_UNKNOWN, "export '" + request.exportName() + "' does not exist; exports: " + names());
            return Outcome.CONTINUE;
        }
        boolean selected;
        if (set) {
            selected = request.queries().contains(BASE_ALLOCATION);
        } else {
            selected = request.queries().isEmpty()
                    || request.queries().stream().anyMatch(q -> q.equals(BASE_ALLOCATION) || q.equals("base:"));
        }
        if (set) {
            // SET replaces whatever an earlier SET chose.
            metaContextExport = selected ? export.get() : null;
        }
        if (selected) {
            reply(option, REP_META_CONTEXT, new MetaContextEntry(set ? ALLOCATION_CONTEXT_ID : 0, BASE_ALLOCATION).encode());
        }
        reply(option, REP_ACK, ByteBuffer.allocate(0));
        return Outcome.CONTINUE;
    }

    private Session session(Export chosen) {
        // A Reloc peer copying the disk away is no use of it: its reads must not heat the map.
        Export export = relocChannel != null && chosen.device() instanceof HeatRecordingDevice recording
                ? new Export(chosen.name(), chosen.description(), recording.unrecorded()) : chosen;
        // Contexts chosen for another export do not carry over to this one.
        int contextId = structuredReplies && chosen.equals(metaContextExport) ? ALLOCATION_CONTEXT_ID : 0;
        var tracker = chosen.equals(trackingExport) ? tracked(chosen.device()).map(TrackedDevice::tracker).orElse(null) : null;
        return new Session(export, structuredReplies, contextId,
                TransmissionFlags.of(export.device(), structuredReplies), relocChannel, tracker);
    }

    /** The write-recording device under an export's device, looking through heat recording. */
    private static Optional<TrackedDevice> tracked(BlockDevice device) {
        BlockDevice inner = device instanceof HeatRecordingDevice recording ? recording.unrecorded() : device;
        return inner instanceof TrackedDevice tracked ? Optional.of(tracked) : Optional.empty();
    }

    private Optional<Export> resolve(String name) {
        Optional<Export> e = exports.find(name);
        return e.isPresent() || !name.isEmpty() ? e : exports.defaultExport();
    }

    private String names() {
        List<Export> all = exports.list();
        return all.isEmpty() ? "none" : all.stream().map(e -> "'" + e.name() + "'").collect(Collectors.joining(", "));
    }

    private void reply(int option, int type, ByteBuffer data) throws IOException {
        ChannelIo.writeFully(channel, OptionReplyHeader.encodeReply(option, type, data));
    }

    private void error(int option, int type, String message) throws IOException {
        ChannelIo.writeFully(channel, OptionReplyHeader.encodeError(option, type, message));
    }
}
