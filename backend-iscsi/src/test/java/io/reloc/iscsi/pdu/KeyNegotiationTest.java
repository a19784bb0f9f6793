package io.reloc.iscsi.pdu;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each key of RFC 7143 §13 with its result function, with the values libiscsi offers and others. */
class KeyNegotiationTest {

    private static KeyNegotiation target() {
        return new KeyNegotiation(262144, 1 << 20, 262144);
    }

    @Test
    void libiscsiOfferGetsTheChecklistAnswers() {
        Map<String, String> offer = new LinkedHashMap<>();
        offer.put("HeaderDigest", "None,CRC32C");
        offer.put("DataDigest", "None");
        offer.put("InitialR2T", "No");
        offer.put("ImmediateData", "Yes");
        offer.put("MaxBurstLength", "262144");
        offer.put("FirstBurstLength", "262144");
        offer.put("DefaultTime2Wait", "2");
        offer.put("DefaultTime2Retain", "0");
        offer.put("MaxOutstandingR2T", "1");
        offer.put("ErrorRecoveryLevel", "0");
        offer.put("IFMarker", "No");
        offer.put("OFMarker", "No");
        offer.put("MaxConnections", "1");
        offer.put("MaxRecvDataSegmentLength", "262144");
        offer.put("DataPDUInOrder", "Yes");
        offer.put("DataSequenceInOrder", "Yes");
        Map<String, String> expected = new LinkedHashMap<>(offer);
        expected.put("DefaultTime2Retain", "0");
        KeyNegotiation n = target();
        Map<String, String> answers = new LinkedHashMap<>();
        offer.forEach((k, v) -> answers.put(k, n.negotiate(k, v)));
        expected.put("HeaderDigest", "None");
        assertEquals(expected, answers);
        SessionParameters p = n.result();
        assertFalse(p.headerDigest());
        assertFalse(p.initialR2T());
        assertTrue(p.immediateData());
        assertEquals(262144, p.maxBurstLength());
        assertEquals(262144, p.firstBurstLength());
        assertEquals(0, p.defaultTime2Retain());
        assertEquals(262144, p.initiatorMaxRecvDataSegmentLength());
    }

    @Test
    void resultFunctions() {
        KeyNegotiation n = target();
        assertEquals("Yes", n.negotiate("InitialR2T", "Yes")); // OR
        assertEquals("No", n.negotiate("ImmediateData", "No")); // AND
        assertEquals("1048576", n.negotiate("MaxBurstLength", "16777215")); // min
        assertEquals("262144", n.negotiate("FirstBurstLength", "1000000")); // min
        assertEquals("2", target().negotiate("DefaultTime2Wait", "0")); // max
        assertEquals("5", n.negotiate("DefaultTime2Wait", "5"));
        assertEquals("20", n.negotiate("DefaultTime2Retain", "3600")); // min
        assertEquals("1", n.negotiate("MaxOutstandingR2T", "8"));
        assertEquals("0", n.negotiate("ErrorRecoveryLevel", "2"));
        assertEquals("1", n.negotiate("MaxConnections", "4"));
        assertEquals("Yes", n.negotiate("DataPDUInOrder", "No")); // OR with Yes
        assertEquals("Yes", n.negotiate("DataSequenceInOrder", "No"));
        assertEquals("No", n.negotiate("IFMarker", "Yes"));
        assertEquals("No", n.negotiate("OFMarker", "Yes"));
        assertEquals("Irrelevant", n.negotiate("OFMarkInt", "1~65535"));
        // MaxRecvDataSegmentLength is declarative: the answer is the target's own value.
        assertEquals("262144", n.negotiate("MaxRecvDataSegmentLength", "4096"));
        SessionParameters p = n.result();
        assertTrue(p.initialR2T());
        assertFalse(p.immediateData());
        assertEquals(1 << 20, p.maxBurstLength());
        assertEquals(5, p.defaultTime2Wait());
        assertEquals(4096, p.initiatorMaxRecvDataSegmentLength());
    }

    @Test
    void digestsPickTheFirstSupportedOffer() {
        KeyNegotiation n = target();
        assertEquals("CRC32C", n.negotiate("HeaderDigest", "CRC32C,None"));
        assertEquals("CRC32C", n.negotiate("DataDigest", "FOO,CRC32C"));
        assertEquals("Reject", n.negotiate("HeaderDigest", "FOO,BAR"));
        assertTrue(n.result().headerDigest());
        assertTrue(n.result().dataDigest());
    }

    @Test
    void invalidValuesAreRejected() {
        KeyNegotiation n = target();
        assertEquals("Reject", n.negotiate("InitialR2T", "maybe"));
        assertEquals("Reject", n.negotiate("MaxBurstLength", "100"));
        assertEquals("Reject", n.negotiate("MaxBurstLength", "16777216"));
        assertEquals("Reject", n.negotiate("MaxRecvDataSegmentLength", "abc"));
        assertEquals("Reject", n.negotiate("ErrorRecoveryLevel", "3"));
        assertEquals("Reject", n.negotiate("DefaultTime2Wait", "3601"));
        assertEquals("Reject", n.negotiate("MaxConnections", "0"));
        assertEquals(SessionParameters.rfcDefaults(262144), n.result());
    }

    @Test
    void unknownKeysAreNotUnderstood() {
        assertEquals("NotUnderstood", target().negotiate("X-com.example.Foo", "1"));
        assertEquals("NotUnderstood", target().negotiate("Bogus", "1"));
    }

    @Test
    void firstBurstNeverExceedsMaxBurst() {
        KeyNegotiation n = target();
        n.negotiate("MaxBurstLength", "65536");
        n.negotiate("FirstBurstLength", "262144");
        assertEquals(65536, n.result().firstBurstLength());
    }

    @Test
    void hexNumbersAreAccepted() {
        assertEquals("65536", target().negotiate("MaxBurstLength", "0x10000"));
    }
}
