package io.reloc.iscsi.initiator;

import io.reloc.iscsi.pdu.Chap;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.pdu.PduCodec;
import io.reloc.iscsi.pdu.TextParameters;
import io.reloc.iscsi.pdu.TextParameters.Pair;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The initiator's side of a login (RFC 7143 §6): a security stage with CHAP (MD5) when
 * credentials are given, otherwise straight to operational negotiation; then the operational
 * keys, offered so that reads go in large in-order Data-In sequences without digests. Runs on
 * the caller's thread before the connection's reader starts. Not thread safe.
 */
final class InitiatorLogin {
    /** The name this initiator logs in with. */
    static final String INITIATOR_NAME = "iqn.2026-11.io.reloc:initiator";
    /** Longest data segment accepted from the target. */
    static final int MAX_RECV_DATA_SEGMENT_LENGTH = 262144;
    /** MaxBurstLength offered: large, so one read is one Data-In sequence on most targets. */
    static final int OFFERED_MAX_BURST = 16776192;
    private static final int MAX_ROUNDS = 16;
    private static final int SECURITY_STAGE = InitiatorPdus.SECURITY;
    private static final int OPERATIONAL_STAGE = InitiatorPdus.OPERATIONAL;
    private static final int FULL_FEATURE_STAGE = InitiatorPdus.FULL_FEATURE;

    private final InputStream in;
    private final OutputStream out;
    private final PduCodec codec;
    private final byte[] isid;
    private final String what;
    private int cmdSn = 1;
    private int expStatSn;
    private int itt;

    InitiatorLogin(InputStream in, OutputStream out, PduCodec codec, byte[] isid, String what) {
        this.in = requireNonNull(in, "in is null");
        this.out = requireNonNull(out, "out is null");
        this.codec = requireNonNull(codec, "codec is null");
        this.isid = requireNonNull(isid, "isid is null").clone();
        this.what = requireNonNull(what, "what is null");
    }

    /**
     * Logs in.
     *
     * @param targetName the target, or empty for a discovery session
     * @throws LoginException when the target refuses, with its status
     * @throws IOException when it breaks the protocol or the connection
     */
    Negotiated login(Optional<String> targetName, Optional<String> chapUser, Optional<String> chapSecret)
            throws IOException {
        Map<String, String> first = new LinkedHashMap<>();
        first.put("InitiatorName", INITIATOR_NAME);
        targetName.ifPresent(t -> first.put("TargetName", t));
        first.put("SessionType", targetName.isPresent() ? "Normal" : "Discovery");
        if (chapUser.isPresent()) {
            first.put("AuthMethod", "CHAP,None");
            Pdu r = exchange(false, SECURITY_STAGE, OPERATIONAL_STAGE, first);
            Map<String, String> keys = keys(r);
            String method = keys.get("AuthMethod");
            // AuthMethod=None: the target asks for no authentication; go on to operational keys.
            if (!("None".equals(method) && InitiatorPdus.loginTransit(r))) {
                if (!"CHAP".equals(method)) {
                    throw new IOException(what + " did not accept CHAP (AuthMethod=" + method + ")");
                }
                keys = keys(exchange(false, SECURITY_STAGE, OPERATIONAL_STAGE, Map.of("CHAP_A", "5")));
                if (!"5".equals(keys.get("CHAP_A")) || keys.get("CHAP_I") == null || keys.get("CHAP_C") == null) {
                    throw new IOException(what + " did not offer a CHAP MD5 challenge: " + keys);
                }
                int id;
                byte[] challenge;
                try {
                    id = Integer.parseInt(keys.get("CHAP_I"));
                    challenge = Chap.decode(keys.get("CHAP_C"));
                } catch (IllegalArgumentException e) {
                    throw new IOException(what + " sent a malformed CHAP challenge: " + e.getMessage(), e);
                }
                Map<String, String> response = new LinkedHashMap<>();
                response.put("CHAP_N", chapUser.get());
                response.put("CHAP_R", Chap.encodeHex(Chap.response(id, chapSecret.orElseThrow(), challenge)));
                r = exchange(true, SECURITY_STAGE, OPERATIONAL_STAGE, response);
                while (!InitiatorPdus.loginTransit(r)) {
                    r = exchange(true, SECURITY_STAGE, OPERATIONAL_STAGE, Map.of());
                }
            }
            if (InitiatorPdus.loginNextStage(r) == FULL_FEATURE_STAGE) {
                return finish(r, Map.of());
            }
            return operational(Map.of());
        }
        return operational(first);
    }

    static Map<String, String> operationalKeys() {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("HeaderDigest", "None");
        k.put("DataDigest", "None");
        k.put("InitialR2T", "Yes");
        k.put("ImmediateData", "No");
        k.put("MaxBurstLength", Integer.toString(OFFERED_MAX_BURST));
        k.put("FirstBurstLength", "262144");
        k.put("DefaultTime2Wait", "0");
        k.put("DefaultTime2Retain", "0");
        k.put("MaxOutstandingR2T", "1");
        k.put("ErrorRecoveryLevel", "0");
        k.put("IFMarker", "No");
        k.put("OFMarker", "No");
        k.put("MaxConnections", "1");
        k.put("MaxRecvDataSegmentLength", Integer.toString(MAX_RECV_DATA_SEGMENT_LENGTH));
        k.put("DataPDUInOrder", "Yes");
        k.put("DataSequenceInOrder", "Yes");
        return k;
    }

    private Negotiated operational(Map<String, String> leading) throws IOException {
        Map<String, String> offer = new LinkedHashMap<>(leading);
        offer.putAll(operationalKeys());
        Map<String, String> got = new LinkedHashMap<>();
        Pdu r = exchange(true, OPERATIONAL_STAGE, FULL_FEATURE_STAGE, offer);
        for (int round = 0; ; round++) {
            Map<String, String> keys = keys(r);
            got.putAll(keys);
            if (InitiatorPdus.loginTransit(r) && InitiatorPdus.loginNextStage(r) == FULL_FEATURE_STAGE) {
                return finish(r, got);
            }
            if (round == MAX_ROUNDS) {
                throw new IOException(what + " did not finish login negotiation in " + MAX_ROUNDS + " rounds");
            }
            // Answer keys the target offered on its own; our own offers need no answer.
            Map<String, String> answer = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : keys.entrySet()) {
                if (!offer.containsKey(e.getKey()) && !declarative(e.getKey())) {
                    answer.put(e.getKey(), e.getValue());
                }
            }
            offer.putAll(answer);
            r = exchange(true, OPERATIONAL_STAGE, FULL_FEATURE_STAGE, answer);
        }
    }

    private static boolean declarative(String key) {
        return switch (key) {
            case "MaxRecvDataSegmentLength", "TargetAlias", "TargetPortalGroupTag", "TargetAddress" -> true;
            default -> false;
        };
    }

    private Negotiated finish(Pdu last, Map<String, String> keys) throws IOException {
        if ("CRC32C".equals(keys.get("HeaderDigest")) || "CRC32C".equals(keys.get("DataDigest"))) {
            throw new IOException(what + " chose a digest that was not offered");
        }
        int targetMrdsl = number(keys, "MaxRecvDataSegmentLength", 8192);
        int maxBurst = Math.min(OFFERED_MAX_BURST, number(keys, "MaxBurstLength", 262144));
        return new Negotiated(targetMrdsl, maxBurst, cmdSn, expStatSn, InitiatorPdus.maxCmdSn(last));
    }

    private int number(Map<String, String> keys, String key, int rfcDefault) throws IOException {
        String v = keys.get(key);
        if (v == null) {
            return rfcDefault;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < 512) {
                throw new NumberFormatException("below 512");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IOException(what + " sent an invalid " + key + "=" + v, e);
        }
    }

    private Pdu exchange(boolean transit, int csg, int nsg, Map<String, String> keys) throws IOException {
        List<Pair> pairs = new ArrayList<>();
        keys.forEach((k, v) -> pairs.add(new Pair(k, v)));
        Pdu request = InitiatorPdus.login(isid, itt, cmdSn, expStatSn, transit, csg, nsg, pairs);
        codec.write(out, request);
        out.flush();
        Pdu r = codec.read(in);
        if (r == null) {
            throw new EOFException(what + " closed the connection during login");
        }
        if (r.opcode() != Opcode.LOGIN_RESPONSE) {
            throw new IOException(what + String.format(" answered a login request with opcode 0x%02x", r.opcode()));
        }
        if (r.itt() != itt) {
            throw new IOException(what + " answered a login request with another task tag");
        }
        int status = InitiatorPdus.loginStatus(r);
        if (status != 0) {
            throw new LoginException(status, what + " refused the login: " + LoginException.describe(status));
        }
        expStatSn = InitiatorPdus.statSn(r) + 1;
        return r;
    }

    private Map<String, String> keys(Pdu r) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (Pair p : TextParameters.parse(r.data())) {
                m.put(p.key(), p.value());
            }
        } catch (IllegalArgumentException e) {
            throw new IOException(what + " sent malformed login keys: " + e.getMessage(), e);
        }
        for (Map.Entry<String, String> e : m.entrySet()) {
            if ("Reject".equals(e.getValue()) && !e.getKey().startsWith("X-")) {
                throw new IOException(what + " rejected login key " + e.getKey());
            }
        }
        return m;
    }

    /** Sends SendTargets=All on a logged-in discovery session and returns the target names. */
    List<String> sendTargets(Negotiated n) throws IOException {
        Pdu request = InitiatorPdus.text(++itt, n.cmdSn(), n.expStatSn(), List.of(new Pair("SendTargets", "All")));
        codec.write(out, request);
        out.flush();
        Pdu r = codec.read(in);
        if (r == null || r.opcode() != Opcode.TEXT_RESPONSE) {
            throw new IOException(what + " did not answer SendTargets");
        }
        List<String> names = new ArrayList<>();
        for (Pair p : TextParameters.parse(r.data())) {
            if (p.key().equals("TargetName")) {
                names.add(p.value());
            }
        }
        codec.write(out, InitiatorPdus.logout(++itt, n.cmdSn(), InitiatorPdus.statSn(r) + 1));
        out.flush();
        return names;
    }
}
