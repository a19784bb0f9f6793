package io.reloc.iscsi.pdu;

import io.reloc.iscsi.pdu.TextParameters.Pair;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TextParametersTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesPairsInOrderWithRepeats() {
        List<Pair> p = TextParameters.parse(bytes("TargetName=a\0TargetAddress=1:2,1\0TargetName=b\0\0\0"));
        assertEquals(List.of(new Pair("TargetName", "a"), new Pair("TargetAddress", "1:2,1"),
                new Pair("TargetName", "b")), p);
    }

    @Test
    void valueMayContainEqualsOrBeEmpty() {
        assertEquals(List.of(new Pair("X", "a=b"), new Pair("SendTargets", "")),
                TextParameters.parse(bytes("X=a=b\0SendTargets=\0")));
    }

    @Test
    void lastPairWithoutNul() {
        assertEquals(List.of(new Pair("A", "1")), TextParameters.parse(bytes("A=1")));
    }

    @Test
    void malformed() {
        assertThrows(IllegalArgumentException.class, () -> TextParameters.parse(bytes("novalue\0")));
        assertThrows(IllegalArgumentException.class, () -> TextParameters.parse(bytes("=x\0")));
        assertThrows(IllegalArgumentException.class, () -> TextParameters.parse(bytes("K".repeat(64) + "=x\0")));
    }

    @Test
    void encodes() {
        assertArrayEquals(bytes("A=1\0B=\0"), TextParameters.encode(List.of(new Pair("A", "1"), new Pair("B", ""))));
    }
}
