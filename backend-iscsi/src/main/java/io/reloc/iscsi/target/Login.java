package io.reloc.iscsi.target;

import io.reloc.api.Export;
import io.reloc.api.ExportCatalog;
import io.reloc.iscsi.pdu.Chap;
import io.reloc.iscsi.pdu.KeyNegotiation;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.SessionParameters;
import io.reloc.iscsi.pdu.TextParameters;
import io.reloc.iscsi.pdu.TextParameters.Pair;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

import static java.util.Objects.requireNonNull;

/**
 * The target side of one login (RFC 7143 §6.3): security stage with CHAP or no authentication,
 * operational negotiation, and the transition to full feature phase. Pure: a Login Request in,
 * a Login Response out, no sockets, so every path is testable from bytes. Not thread safe.
 */
public final class Login {
    /** Stages as the CSG/NSG fields code them. */
    static final int SECURITY = 0;
    static final int OPERATIONAL = 1;
    static final int FULL_FEATURE = 3;

    /** Login text kept across continued PDUs; more is an attack or a broken initiator. */
    static final int MAX_TEXT = 64 << 10;

    /** Where CHAP stands. */
    private enum ChapState { NOT_STARTED, METHOD_CHOSEN, CHALLENGED, DONE }

    private final TargetConfig config;
    private final ExportCatalog exports;
    private final RandomGenerator random;
    private final int tsih;
    private final KeyNegotiation negotiation;
    private final ByteArrayOutputStream pendingText = new ByteArrayOutputStream();

    private boolean started;
    private int stage;
    private byte[] isid;
    private int statSn;
    private int cmdSn;
    private String initiatorName;
    private boolean discovery;
    private Export export;
    private boolean authenticated;
    private ChapState chap = ChapState.NOT_STARTED;
    private int chapId;
    private byte[] chapChallenge;
    private boolean sentPortalGroupTag;
    private boolean sentMaxRecv;
    private boolean complete;
    private Optional<LoginStatus> failure = Optional.empty();

    /**
     * @param tsih the session handle given in the final response, non-zero
     * @param random source of CHAP identifiers and challenges
     */
    public Login(TargetConfig config, ExportCatalog exports, int tsih, RandomGenerator random) {
        this.config = requireNonNull(config, "config is null");
        this.exports = requireNonNull(exports, "exports is null");
        this.random = requireNonNull(random, "random is null");
        if (tsih == 0) {
            throw new IllegalArgumentException("a TSIH must not be zero");
        }
        this.tsih = tsih;
        this.negotiation = new KeyNegotiation(config.maxRecvDataSegmentLength(), config.maxBurstLength(),
                config.firstBurstLength());
        this.authenticated = config.chap().isEmpty();
    }

    /** Whether full feature phase was reached. */
    public boolean complete() {
        return complete;
    }

    /** The status of a failed login, after which the connection must be closed. */
    public Optional<LoginStatus> failure() {
        return failure;
    }

    public boolean discovery() {
        return discovery;
    }

    /** The export of a Normal session; empty for discovery. */
    public Optional<Export> export() {
        return Optional.ofNullable(export);
    }

    public String initiatorName() {
        return initiatorName == null ? "" : initiatorName;
    }

    public SessionParameters parameters() {
        return negotiation.result();
    }

    /** StatSN of the next status the target sends. */
    public int nextStatSn() {
        return statSn;
    }

    /** ExpCmdSN after login: the CmdSN of the login requests, since those are immediate. */
    public int expCmdSn() {
        return cmdSn;
    }

    /** Handles one Login Request and returns the Login Response to send. */
    public Pdu handle(Pdu request) {
        if (complete || failure.isPresent()) {
            throw new IllegalStateException("the login is over");
        }
        if (request.opcode() != Opcode.LOGIN) {
            return fail(request, LoginStatus.INVALID_DURING_LOGIN);
        }
        boolean transit = (request.flags() & 0x80) != 0;
        boolean more = (request.flags() & 0x40) != 0;
        int csg = (request.flags() >> 2) & 3;
        int nsg = request.flags() & 3;
        if (!started) {
            started = true;
            isid = request.bytes(8, 6);
            statSn = request.intAt(28);
            cmdSn = request.intAt(24);
            stage = csg;
            if (request.byteAt(3) > 0) { // Version-min
                return fail(request, LoginStatus.UNSUPPORTED_VERSION);
            }
            if (request.shortAt(14) != 0) {
                // Adding a connection to an existing session is not offered (MaxConnections=1).
                return fail(request, LoginStatus.SESSION_DOES_NOT_EXIST);
            }
        }
        if (!Arrays.equals(isid, request.bytes(8, 6)) || csg != stage || csg == 2 || (transit && (nsg <= csg
                || nsg == 2)) || (more && transit)) {
            return fail(request, LoginStatus.INITIATOR_ERROR);
        }
        if (pendingText.size() + request.data().length > MAX_TEXT) {
            return fail(request, LoginStatus.INITIATOR_ERROR);
        }
        pendingText.writeBytes(request.data());
        if (more) {
            // The text continues in the next PDU; acknowledge with an empty response.
            return response(request, false, 0, new byte[0]);
        }
        List<Pair> offered;
        try {
            offered = TextParameters.parse(pendingText.toByteArray());
        } catch (IllegalArgumentException e) {
            return fail(request, LoginStatus.INITIATOR_ERROR);
        } finally {
            pendingText.reset();
        }
        List<Pair> answer = new ArrayList<>();
        Optional<LoginStatus> problem = process(offered, answer);
        if (problem.isPresent()) {
            return fail(request, problem.get());
        }
        if (!started || initiatorName == null) {
            return fail(request, LoginStatus.MISSING_PARAMETER);
        }
        if (!discovery && export == null) {
            return fail(request, LoginStatus.MISSING_PARAMETER);
        }
        if (!discovery && !sentPortalGroupTag) {
            answer.add(new Pair("TargetPortalGroupTag", "1"));
            sentPortalGroupTag = true;
        }
        if (stage == OPERATIONAL && !sentMaxRecv) {
            answer.removeIf(p -> p.key().equals("MaxRecvDataSegmentLength"));
            answer.add(new Pair("MaxRecvDataSegmentLength", Integer.toString(config.maxRecvDataSegmentLength())));
            sentMaxRecv = true;
        }
        boolean canTransit = transit && (stage != SECURITY || (authenticated && chap != ChapState.CHALLENGED
                && chap != ChapState.METHOD_CHOSEN));
        if (!authenticated && (stage != SECURITY || (transit && chap == ChapState.NOT_STARTED))) {
            // CHAP is required but the initiator skipped or refused it.
            return fail(request, LoginStatus.AUTHENTICATION_FAILURE);
        }
        int currentStage = stage;
        if (canTransit) {
            stage = nsg;
            if (nsg == FULL_FEATURE) {
                complete = true;
            }
        }
        Pdu response = response(request, canTransit, nsg, TextParameters.encode(answer));
        response.byteAt(1, (canTransit ? 0x80 : 0) | (currentStage << 2) | (canTransit ? nsg : 0));
        return response;
    }

    private Optional<LoginStatus> process(List<Pair> offered, List<Pair> answer) {
        String chapN = null;
        String chapR = null;
        String chapI = null;
        String chapC = null;
        for (Pair p : offered) {
            String key = p.key();
            String value = p.value();
            switch (key) {
                case "InitiatorName" -> initiatorName = value;
                case "InitiatorAlias" -> { }
                case "SessionType" -> {
                    switch (value) {
                        case "Discovery" -> discovery = true;
                        case "Normal" -> discovery = false;
                        default -> {
                            return Optional.of(LoginStatus.SESSION_TYPE_NOT_SUPPORTED);
                        }
                    }
                }
                case "TargetName" -> {
                    Optional<Export> found = config.exportName(value).flatMap(exports::find);
                    if (found.isEmpty()) {
                        return Optional.of(LoginStatus.NOT_FOUND);
                    }
                    export = found.get();
                }
                case "AuthMethod" -> {
                    if (stage != SECURITY) {
                        return Optional.of(LoginStatus.INITIATOR_ERROR);
                    }
                    List<String> methods = Arrays.stream(value.split(",")).map(String::trim).toList();
                    if (config.chap().isPresent() && methods.contains("CHAP")) {
                        chap = ChapState.METHOD_CHOSEN;
                        answer.add(new Pair(key, "CHAP"));
                    } else if (config.chap().isEmpty() && methods.contains("None")) {
                        answer.add(new Pair(key, "None"));
                    } else {
                        answer.add(new Pair(key, "Reject"));
                        return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
                    }
                }
                case "CHAP_A" -> {
                    if (chap != ChapState.METHOD_CHOSEN) {
                        return Optional.of(LoginStatus.INITIATOR_ERROR);
                    }
                    boolean md5 = Arrays.stream(value.split(",")).map(String::trim)
                            .anyMatch(a -> a.equals(Integer.toString(Chap.MD5)));
                    if (!md5) {
                        answer.add(new Pair(key, "Reject"));
                        return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
                    }
                    chapId = random.nextInt(256);
                    chapChallenge = new byte[16];
                    random.nextBytes(chapChallenge);
                    answer.add(new Pair("CHAP_A", Integer.toString(Chap.MD5)));
                    answer.add(new Pair("CHAP_I", Integer.toString(chapId)));
                    answer.add(new Pair("CHAP_C", Chap.encodeHex(chapChallenge)));
                    chap = ChapState.CHALLENGED;
                }
                case "CHAP_N" -> chapN = value;
                case "CHAP_R" -> chapR = value;
                case "CHAP_I" -> chapI = value;
                case "CHAP_C" -> chapC = value;
                case "TargetAlias", "TargetAddress", "TargetPortalGroupTag" -> {
                    // Keys only a target sends.
                    answer.add(new Pair(key, "Irrelevant"));
                }
                default -> {
                    if (key.startsWith("CHAP_")) {
                        answer.add(new Pair(key, "NotUnderstood"));
                    } else {
                        answer.add(new Pair(key, negotiation.negotiate(key, value)));
                    }
                }
            }
        }
        if (chapN != null || chapR != null) {
            return verifyChap(chapN, chapR, chapI, chapC, answer);
        }
        return Optional.empty();
    }

    private Optional<LoginStatus> verifyChap(String name, String response, String mutualId, String mutualChallenge,
            List<Pair> answer) {
        if (chap != ChapState.CHALLENGED || name == null || response == null) {
            return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
        }
        ChapCredentials expected = config.chap().orElseThrow();
        byte[] got;
        try {
            got = Chap.decode(response);
        } catch (IllegalArgumentException e) {
            return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
        }
        byte[] want = Chap.response(chapId, expected.secret(), chapChallenge);
        // Check the name and the response both, so a wrong name takes as long as a wrong secret.
        boolean ok = Chap.matches(want, got) & name.equals(expected.user());
        if (!ok) {
            return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
        }
        if (mutualId != null || mutualChallenge != null) {
            if (mutualId == null || mutualChallenge == null || config.mutualChap().isEmpty()) {
                return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
            }
            byte[] challenge;
            int id;
            try {
                challenge = Chap.decode(mutualChallenge);
                id = Integer.parseInt(mutualId);
            } catch (IllegalArgumentException e) {
                return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
            }
            // A reflected challenge would let an attacker use the target as its own oracle.
            if (id < 0 || id > 255 || challenge.length == 0 || Arrays.equals(challenge, chapChallenge)) {
                return Optional.of(LoginStatus.AUTHENTICATION_FAILURE);
            }
            ChapCredentials mine = config.mutualChap().get();
            answer.add(new Pair("CHAP_N", mine.user()));
            answer.add(new Pair("CHAP_R", Chap.encodeHex(Chap.response(id, mine.secret(), challenge))));
        }
        chap = ChapState.DONE;
        authenticated = true;
        return Optional.empty();
    }

    private Pdu fail(Pdu request, LoginStatus status) {
        failure = Optional.of(status);
        Pdu r = response(request, false, 0, new byte[0]);
        r.byteAt(36, status.statusClass()).byteAt(37, status.detail());
        return r;
    }

    private Pdu response(Pdu request, boolean transit, int nsg, byte[] data) {
        Pdu r = Pdu.create(Opcode.LOGIN_RESPONSE);
        r.byteAt(1, (transit ? 0x80 : 0) | (stage << 2) | (transit ? nsg : 0));
        r.byteAt(2, 0).byteAt(3, 0);
        r.bytes(8, request.bytes(8, 6));
        if (transit && nsg == FULL_FEATURE) {
            r.shortAt(14, tsih);
        }
        r.itt(request.itt());
        r.intAt(24, statSn++);
        r.intAt(28, cmdSn);
        r.intAt(32, cmdSn + config.commandWindow() - 1);
        r.data(data);
        return r;
    }
}
