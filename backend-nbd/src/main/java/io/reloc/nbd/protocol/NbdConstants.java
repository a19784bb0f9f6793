package io.reloc.nbd.protocol;

/**
 * Numbers of the NBD protocol (fixed newstyle handshake, simple and structured replies), as the
 * specification ({@code doc/proto.md} of the NetworkBlockDevice project) names them. All integers
 * on the wire are big-endian.
 */
public final class NbdConstants {
    private NbdConstants() {}

    // Handshake magics.
    public static final long NBDMAGIC = 0x4e42444d41474943L;
    public static final long IHAVEOPT = 0x49484156454f5054L;
    public static final long OPTION_REPLY_MAGIC = 0x0003e889045565a9L;

    // Handshake flags (server) and client flags.
    public static final int FLAG_FIXED_NEWSTYLE = 1;
    public static final int FLAG_NO_ZEROES = 1 << 1;
    public static final int CLIENT_FLAG_FIXED_NEWSTYLE = 1;
    public static final int CLIENT_FLAG_NO_ZEROES = 1 << 1;

    // Options.
    public static final int OPT_EXPORT_NAME = 1;
    public static final int OPT_ABORT = 2;
    public static final int OPT_LIST = 3;
    public static final int OPT_STARTTLS = 5;
    public static final int OPT_INFO = 6;
    public static final int OPT_GO = 7;
    public static final int OPT_STRUCTURED_REPLY = 8;
    public static final int OPT_LIST_META_CONTEXT = 9;
    public static final int OPT_SET_META_CONTEXT = 10;
    public static final int OPT_EXTENDED_HEADERS = 11;
    /**
     * Reloc's relocation channel (see {@link RelocChannel}). The specification numbers its options
     * from 1 upwards and has not gone past a few dozen; this value ("RLC" plus 1 in ASCII) is far
     * from that sequence, so no standard option will collide with it. Servers that do not know it
     * answer ERR_UNSUP, as the specification requires of unknown options: that is the fallback.
     */
    public static final int OPT_RELOC_CHANNEL = 0x524C4301;
    /**
     * Reloc's request for an export's access heat map (see {@link RelocHeat}); the next number of
     * the same private sequence. Foreign servers answer ERR_UNSUP: the client then has no map.
     */
    public static final int OPT_RELOC_HEAT = 0x524C4302;
    /**
     * Reloc's write tracking for hybrid pre-copy (see {@link RelocTracking}); "RLCT" in ASCII, far
     * from the standard options like {@link #OPT_RELOC_CHANNEL}.
     */
    public static final int OPT_RELOC_TRACKING = 0x524C4354;

    // Option reply types.
    public static final int REP_ACK = 1;
    public static final int REP_SERVER = 2;
    public static final int REP_INFO = 3;
    public static final int REP_META_CONTEXT = 4;
    public static final int REP_FLAG_ERROR = 1 << 31;
    public static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    public static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
    public static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    public static final int REP_ERR_PLATFORM = REP_FLAG_ERROR | 4;
    public static final int REP_ERR_TLS_REQD = REP_FLAG_ERROR | 5;
    public static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
    public static final int REP_ERR_SHUTDOWN = REP_FLAG_ERROR | 7;
    public static final int REP_ERR_BLOCK_SIZE_REQD = REP_FLAG_ERROR | 8;
    public static final int REP_ERR_TOO_BIG = REP_FLAG_ERROR | 9;
    public static final int REP_ERR_EXT_HEADER_REQD = REP_FLAG_ERROR | 10;

    // Information types of NBD_OPT_INFO and NBD_OPT_GO.
    public static final int INFO_EXPORT = 0;
    public static final int INFO_NAME = 1;
    public static final int INFO_DESCRIPTION = 2;
    public static final int INFO_BLOCK_SIZE = 3;

    // Transmission flags.
    public static final int TF_HAS_FLAGS = 1;
    public static final int TF_READ_ONLY = 1 << 1;
    public static final int TF_SEND_FLUSH = 1 << 2;
    public static final int TF_SEND_FUA = 1 << 3;
    public static final int TF_ROTATIONAL = 1 << 4;
    public static final int TF_SEND_TRIM = 1 << 5;
    public static final int TF_SEND_WRITE_ZEROES = 1 << 6;
    public static final int TF_SEND_DF = 1 << 7;
    public static final int TF_CAN_MULTI_CONN = 1 << 8;
    public static final int TF_SEND_RESIZE = 1 << 9;
    public static final int TF_SEND_CACHE = 1 << 10;
    public static final int TF_SEND_FAST_ZERO = 1 << 11;

    // Transmission phase magics and sizes.
    public static final int REQUEST_MAGIC = 0x25609513;
    public static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    public static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    public static final int REQUEST_HEADER_SIZE = 28;
    public static final int SIMPLE_REPLY_HEADER_SIZE = 16;
    public static final int CHUNK_HEADER_SIZE = 20;

    // Commands.
    public static final int CMD_READ = 0;
    public static final int CMD_WRITE = 1;
    public static final int CMD_DISC = 2;
    public static final int CMD_FLUSH = 3;
    public static final int CMD_TRIM = 4;
    public static final int CMD_CACHE = 5;
    public static final int CMD_WRITE_ZEROES = 6;
    public static final int CMD_BLOCK_STATUS = 7;
    /**
     * Reloc's batched read (see {@link RelocChannel}): sent only after OPT_RELOC_CHANNEL was
     * accepted. Standard commands are numbered from 0 upwards (8 is RESIZE in an extension); this
     * value ("RC" in ASCII) is far from them.
     */
    public static final int CMD_RELOC_READ = 0x5243;
    /**
     * Tells the server the link rate the client measures (see {@link RelocChannel}): offset is
     * bytes per second, length 0; sent only after OPT_RELOC_CHANNEL was accepted. "RD" in ASCII.
     */
    public static final int CMD_RELOC_RATE = 0x5244;
    /**
     * Asks the server to pace this connection's replies (see {@link RelocChannel}): offset is
     * bytes per second (0 to stop), length the client's pacing group; sent only after
     * OPT_RELOC_CHANNEL was accepted. "RE" in ASCII.
     */
    public static final int CMD_RELOC_PACE = 0x5245;
    /** Starts a write-tracking session (see {@link RelocTracking}); only after OPT_RELOC_TRACKING. */
    public static final int CMD_RELOC_TRACK = 0x5254;
    /** Asks the blocks written in a tracking session; only after OPT_RELOC_TRACKING. */
    public static final int CMD_RELOC_DIRTY = 0x5255;
    /** Ends a tracking session; only after OPT_RELOC_TRACKING. */
    public static final int CMD_RELOC_UNTRACK = 0x5256;

    // Command flags.
    public static final int CMD_FLAG_FUA = 1;
    public static final int CMD_FLAG_NO_HOLE = 1 << 1;
    public static final int CMD_FLAG_DF = 1 << 2;
    public static final int CMD_FLAG_REQ_ONE = 1 << 3;
    public static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    // Structured reply chunks.
    public static final int REPLY_FLAG_DONE = 1;
    public static final int CHUNK_NONE = 0;
    public static final int CHUNK_OFFSET_DATA = 1;
    public static final int CHUNK_OFFSET_HOLE = 2;
    public static final int CHUNK_BLOCK_STATUS = 5;
    /**
     * Reloc's batch chunk (see {@link RelocChannel}), only ever sent in reply to CMD_RELOC_READ.
     * The specification leaves non-error chunk types it does not define to negotiated extensions
     * (a client must treat an unnegotiated one as a protocol error); bit 15 is clear because it is
     * not an error, and the value ("RC" again) is far from the assigned types 0 to 5.
     */
    public static final int CHUNK_RELOC_BATCH = 0x5243;
    /** The session id answering CMD_RELOC_TRACK (see {@link RelocTracking}). */
    public static final int CHUNK_RELOC_SESSION = 0x5254;
    /** Written blocks answering CMD_RELOC_DIRTY (see {@link RelocTracking}). */
    public static final int CHUNK_RELOC_DIRTY = 0x5255;
    public static final int CHUNK_ERROR = 32769;
    public static final int CHUNK_ERROR_OFFSET = 32770;

    // base:allocation extent flags.
    public static final int STATE_HOLE = 1;
    public static final int STATE_ZERO = 1 << 1;

    /** The only meta context this server offers. */
    public static final String BASE_ALLOCATION = "base:allocation";

    /** Longest string (export name, description, context name) the protocol allows, in bytes. */
    public static final int MAX_STRING_LENGTH = 4096;

    /** A readable name of an option, for log lines. */
    public static String optionName(int option) {
        return switch (option) {
            case OPT_EXPORT_NAME -> "EXPORT_NAME";
            case OPT_ABORT -> "ABORT";
            case OPT_LIST -> "LIST";
            case OPT_STARTTLS -> "STARTTLS";
            case OPT_INFO -> "INFO";
            case OPT_GO -> "GO";
            case OPT_STRUCTURED_REPLY -> "STRUCTURED_REPLY";
            case OPT_LIST_META_CONTEXT -> "LIST_META_CONTEXT";
            case OPT_SET_META_CONTEXT -> "SET_META_CONTEXT";
            case OPT_EXTENDED_HEADERS -> "EXTENDED_HEADERS";
            case OPT_RELOC_CHANNEL -> "RELOC_CHANNEL";
            case OPT_RELOC_HEAT -> "RELOC_HEAT";
            case OPT_RELOC_TRACKING -> "RELOC_TRACKING";
            default -> "option " + Integer.toUnsignedString(option);
        };
    }

    /** A readable name of a command, for log lines. */
    public static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_DISC -> "DISC";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_CACHE -> "CACHE";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            case CMD_BLOCK_STATUS -> "BLOCK_STATUS";
            case CMD_RELOC_READ -> "RELOC_READ";
            case CMD_RELOC_RATE -> "RELOC_RATE";
            case CMD_RELOC_PACE -> "RELOC_PACE";
            case CMD_RELOC_TRACK -> "RELOC_TRACK";
            case CMD_RELOC_DIRTY -> "RELOC_DIRTY";
            case CMD_RELOC_UNTRACK -> "RELOC_UNTRACK";
            default -> "command " + type;
        };
    }
}
