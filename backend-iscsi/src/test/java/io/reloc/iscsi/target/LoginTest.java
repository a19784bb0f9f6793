package io.reloc.iscsi.target;

import io.reloc.api.Export;
import io.reloc.core.export.ExportRegistry;
import io.reloc.core.store.MemoryBlockStore;
import io.reloc.iscsi.pdu.Chap;
import io.reloc.iscsi.pdu.Opcode;
import io.reloc.iscsi.pdu.Pdu;
import io.reloc.iscsi.testing.TestInitiator;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static io.reloc.iscsi.testing.TestInitiator.keys;
import static io.reloc.iscsi.testing.TestInitiator.loginRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The login state machine from PDUs, without sockets. */
class LoginTest {
    private static final String TARGET = "iqn.2026-11.io.reloc:disk0";
    private static final ChapCredentials ALICE = new ChapCredentials("alice", "alice-secret");
    private static final ChapCredentials TGT = new ChapCredentials("target", "target-secret");

    private static ExportRegistry exports() {
        ExportRegistry r = new ExportRegistry();
        r.add(new Export("disk0", "", new MemoryBlockStore(1 << 20)));
        return r;
    }

    private static Login login(Optional<ChapCredentials> chap, Optional<ChapCredentials> mutual) {
        return new Login(TargetConfig.defaults().withChap(chap, mutual), exports(), 0x42, new Random(1));
    }

    private static Map<String, String> names() {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("InitiatorName", TestInitiator.NAME);
        k.put("SessionType", "Normal");
        k.put("TargetName", TARGET);
        return k;
    }

    private static int status(Pdu r) {
        return (r.byteAt(36) << 8) | r.byteAt(37);
    }

    private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    @Test
    void operationalStageStraightToFullFeature() {
        Login login = login(Optional.empty(), Optional.empty());
        Pdu r = login.handle(loginRequest(0x87, 5, with(names(), TestInitiator.operationalKeys(Map.of()))));
        assertEquals(Opcode.LOGIN_RESPONSE, r.opcode());
        assertEquals(0, status(r));
        assertEquals(0x87, r.flags()); // T, CSG=1, NSG=3
        assertEquals(0x42, r.shortAt(14));
        assertEquals(0x1000, r.itt());
        assertEquals(5, r.intAt(28)); // ExpCmdSN = login CmdSN
        assertTrue(r.intAt(32) - r.intAt(28) >= 0);
        Map<String, String> k = keys(r);
        assertEquals("1", k.get("TargetPortalGroupTag"));
        assertEquals("262144", k.get("MaxRecvDataSegmentLength"));
        assertEquals("1", k.get("MaxOutstandingR2T"));
        assertEquals("0", k.get("ErrorRecoveryLevel"));
        assertFalse(k.containsKey("InitiatorName"));
        assertFalse(k.containsKey("TargetName"));
        assertTrue(login.complete());
        assertEquals("disk0", login.export().orElseThrow().name());
        assertEquals(5, login.expCmdSn());
    }

    @Test
    void securityThenOperationalWithoutAuthentication() {
        Login login = login(Optional.empty(), Optional.empty());
        Pdu r = login.handle(loginRequest(0x81, 0, with(names(), Map.of("AuthMethod", "CHAP,None"))));
        assertEquals(0, status(r));
        assertEquals("None", keys(r).get("AuthMethod"));
        assertEquals(0x81, r.flags());
        assertEquals(0, r.shortAt(14)); // TSIH only in the final response
        r = login.handle(loginRequest(0x87, 0, TestInitiator.operationalKeys(Map.of())));
        assertEquals(0x87, r.flags());
        assertTrue(login.complete());
    }

    @Test
    void securityStraightToFullFeature() {
        Login login = login(Optional.empty(), Optional.empty());
        Pdu r = login.handle(loginRequest(0x83, 0, with(names(), Map.of("AuthMethod", "None"))));
        assertEquals(0x83, r.flags());
        assertTrue(login.complete());
    }

    private static Pdu chapUpToChallenge(Login login) {
        Pdu r = login.handle(loginRequest(0x81, 0, with(names(), Map.of("AuthMethod", "CHAP,None"))));
        assertEquals("CHAP", keys(r).get("AuthMethod"));
        assertEquals(0x00, r.flags() & 0x80, "no transit before CHAP is done");
        r = login.handle(loginRequest(0x81, 0, Map.of("CHAP_A", "5")));
        assertEquals("5", keys(r).get("CHAP_A"));
        return r;
    }

    @Test
    void chapWithTheRightSecretInHexAndBase64() {
        for (boolean base64 : new boolean[] {false, true}) {
            Login login = login(Optional.of(ALICE), Optional.empty());
            Map<String, String> challenge = keys(chapUpToChallenge(login));
            int id = Integer.parseInt(challenge.get("CHAP_I"));
            byte[] response = Chap.response(id, ALICE.secret(), Chap.decode(challenge.get("CHAP_C")));
            String encoded = base64 ? "0b" + Base64.getEncoder().encodeToString(response) : Chap.encodeHex(response);
            Pdu r = login.handle(loginRequest(0x81, 0, Map.of("CHAP_N", "alice", "CHAP_R", encoded)));
            assertEquals(0, status(r));
            assertEquals(0x81, r.flags()); // T, CSG=0, NSG=1
            r = login.handle(loginRequest(0x87, 0, TestInitiator.operationalKeys(Map.of())));
            assertEquals(0, status(r));
            assertTrue(login.complete());
        }
    }

    @Test
    void chapWithAWrongSecretOrNameFails() {
        for (String name : new String[] {"alice", "mallory"}) {
            Login login = login(Optional.of(ALICE), Optional.empty());
            Map<String, String> challenge = keys(chapUpToChallenge(login));
            byte[] response = Chap.response(Integer.parseInt(challenge.get("CHAP_I")), "wrong",
                    Chap.decode(challenge.get("CHAP_C")));
            if (name.equals("mallory")) {
                response = Chap.response(Integer.parseInt(challenge.get("CHAP_I")), ALICE.secret(),
                        Chap.decode(challenge.get("CHAP_C")));
            }
            Pdu r = login.handle(loginRequest(0x81, 0, Map.of("CHAP_N", name, "CHAP_R", Chap.encodeHex(response))));
            assertEquals(0x0201, status(r));
            assertEquals(Optional.of(LoginStatus.AUTHENTICATION_FAILURE), login.failure());
        }
    }

    @Test
    void chapRequiredButSkipped() {
        Login skipped = login(Optional.of(ALICE), Optional.empty());
        assertEquals(0x0201, status(skipped.handle(loginRequest(0x87, 0,
                with(names(), TestInitiator.operationalKeys(Map.of()))))));
        Login none = login(Optional.of(ALICE), Optional.empty());
        Pdu r = none.handle(loginRequest(0x81, 0, with(names(), Map.of("AuthMethod", "None"))));
        assertEquals(0x0201, status(r));
        Login noMethod = login(Optional.of(ALICE), Optional.empty());
        assertEquals(0x0201, status(noMethod.handle(loginRequest(0x81, 0, names()))));
    }

    @Test
    void garbledChapResponseFails() {
        Login login = login(Optional.of(ALICE), Optional.empty());
        chapUpToChallenge(login);
        Pdu r = login.handle(loginRequest(0x81, 0, Map.of("CHAP_N", "alice", "CHAP_R", "0xzz")));
        assertEquals(0x0201, status(r));
    }

    @Test
    void onlyMd5IsOffered() {
        Login login = login(Optional.of(ALICE), Optional.empty());
        login.handle(loginRequest(0x81, 0, with(names(), Map.of("AuthMethod", "CHAP"))));
        Pdu r = login.handle(loginRequest(0x81, 0, Map.of("CHAP_A", "7")));
        assertEquals(0x0201, status(r));
    }

    @Test
    void mutualChapAnswersTheInitiatorsChallenge() {
        Login login = login(Optional.of(ALICE), Optional.of(TGT));
        Map<String, String> challenge = keys(chapUpToChallenge(login));
        byte[] response = Chap.response(Integer.parseInt(challenge.get("CHAP_I")), ALICE.secret(),
                Chap.decode(challenge.get("CHAP_C")));
        byte[] mine = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
        Map<String, String> k = new LinkedHashMap<>();
        k.put("CHAP_N", "alice");
        k.put("CHAP_R", Chap.encodeHex(response));
        k.put("CHAP_I", "77");
        k.put("CHAP_C", Chap.encodeHex(mine));
        Pdu r = login.handle(loginRequest(0x81, 0, k));
        assertEquals(0, status(r));
        assertEquals("target", keys(r).get("CHAP_N"));
        assertEquals(Chap.encodeHex(Chap.response(77, TGT.secret(), mine)), keys(r).get("CHAP_R"));
    }

    @Test
    void mutualChapRefusesAReflectedChallenge() {
        Login login = login(Optional.of(ALICE), Optional.of(TGT));
        Map<String, String> challenge = keys(chapUpToChallenge(login));
        byte[] response = Chap.response(Integer.parseInt(challenge.get("CHAP_I")), ALICE.secret(),
                Chap.decode(challenge.get("CHAP_C")));
        Map<String, String> k = new LinkedHashMap<>();
        k.put("CHAP_N", "alice");
        k.put("CHAP_R", Chap.encodeHex(response));
        k.put("CHAP_I", challenge.get("CHAP_I"));
        k.put("CHAP_C", challenge.get("CHAP_C"));
        assertEquals(0x0201, status(login.handle(loginRequest(0x81, 0, k))));
    }

    @Test
    void unknownOrMissingNames() {
        Map<String, String> unknown = with(names(), Map.of("TargetName", "iqn.2026-11.io.reloc:nope"));
        assertEquals(0x0203, status(login(Optional.empty(), Optional.empty()).handle(loginRequest(0x87, 0, unknown))));
        Map<String, String> otherPrefix = with(names(), Map.of("TargetName", "iqn.2000-01.com.example:disk0"));
        assertEquals(0x0203, status(login(Optional.empty(), Optional.empty())
                .handle(loginRequest(0x87, 0, otherPrefix))));
        Map<String, String> noTarget = new LinkedHashMap<>(names());
        noTarget.remove("TargetName");
        assertEquals(0x0207, status(login(Optional.empty(), Optional.empty()).handle(loginRequest(0x87, 0, noTarget))));
        Map<String, String> noInitiator = new LinkedHashMap<>(names());
        noInitiator.remove("InitiatorName");
        assertEquals(0x0207, status(login(Optional.empty(), Optional.empty())
                .handle(loginRequest(0x87, 0, noInitiator))));
    }

    @Test
    void discoveryNeedsNoTargetName() {
        Login login = login(Optional.empty(), Optional.empty());
        Pdu r = login.handle(loginRequest(0x87, 0, Map.of("InitiatorName", "i", "SessionType", "Discovery")));
        assertEquals(0, status(r));
        assertTrue(login.discovery());
        assertFalse(keys(r).containsKey("TargetPortalGroupTag"));
    }

    @Test
    void unsupportedSessionTypeAndVersion() {
        assertEquals(0x0209, status(login(Optional.empty(), Optional.empty())
                .handle(loginRequest(0x87, 0, with(names(), Map.of("SessionType", "Bogus"))))));
        Pdu versioned = loginRequest(0x87, 0, names()).byteAt(3, 1);
        assertEquals(0x0205, status(login(Optional.empty(), Optional.empty()).handle(versioned)));
        Pdu joining = loginRequest(0x87, 0, names()).shortAt(14, 7); // a TSIH: join a session
        assertEquals(0x020a, status(login(Optional.empty(), Optional.empty()).handle(joining)));
    }

    @Test
    void unknownKeysAreNotUnderstood() {
        Pdu r = login(Optional.empty(), Optional.empty()).handle(loginRequest(0x87, 0,
                with(names(), Map.of("X-com.example.Thing", "1"))));
        assertEquals(0, status(r));
        assertEquals("NotUnderstood", keys(r).get("X-com.example.Thing"));
    }

    @Test
    void textMayContinueOverSeveralPdus() {
        Login login = login(Optional.empty(), Optional.empty());
        byte[] all = TestInitiator.loginRequest(0, 0, names()).data();
        Pdu first = loginRequest(0x45, 0, Map.of()).data(java.util.Arrays.copyOf(all, 10)); // C, CSG=1, NSG=1
        Pdu r = login.handle(first);
        assertEquals(0, status(r));
        assertEquals(0, r.data().length);
        Pdu second = loginRequest(0x87, 0, Map.of()).data(java.util.Arrays.copyOfRange(all, 10, all.length));
        r = login.handle(second);
        assertEquals(0, status(r));
        assertTrue(login.complete());
    }

    @Test
    void endlessContinuationIsRefused() {
        Login login = login(Optional.empty(), Optional.empty());
        Pdu r = null;
        for (int i = 0; i <= Login.MAX_TEXT / 8192; i++) {
            r = login.handle(loginRequest(0x45, 0, Map.of()).data(new byte[8192]));
            if (login.failure().isPresent()) {
                break;
            }
        }
        assertEquals(0x0200, status(r));
    }

    @Test
    void stageGamesAreInitiatorErrors() {
        // NSG lower than CSG.
        assertEquals(0x0200, status(login(Optional.empty(), Optional.empty()).handle(loginRequest(0x84, 0, names()))));
        // T and C together.
        assertEquals(0x0200, status(login(Optional.empty(), Optional.empty()).handle(loginRequest(0xc7, 0, names()))));
        // A garbled text segment.
        Pdu garbled = loginRequest(0x87, 0, Map.of()).data(new byte[] {'x', 0});
        assertEquals(0x0200, status(login(Optional.empty(), Optional.empty()).handle(garbled)));
        // Not a Login PDU at all.
        Pdu nop = Pdu.create(Opcode.NOP_OUT);
        assertNotEquals(0, status(login(Optional.empty(), Optional.empty()).handle(nop)));
    }
}
