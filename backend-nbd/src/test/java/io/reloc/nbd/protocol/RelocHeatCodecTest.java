package io.reloc.nbd.protocol;

import io.reloc.api.HotRegion;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RelocHeatCodecTest {
    @Test
    void requestsAndRegionsRoundTrip() throws Exception {
        RelocHeat.Request request = new RelocHeat.Request("vm1", 4096);
        assertEquals(request, RelocHeat.decodeRequest(RelocHeat.encodeRequest(request)));
        assertEquals(new RelocHeat.Request("", 1), RelocHeat.decodeRequest(RelocHeat.encodeRequest(new RelocHeat.Request("", 1))));
        List<HotRegion> regions = List.of(new HotRegion(1 << 20, 1 << 20, 7.25), new HotRegion(0, 5, 0.5));
        assertEquals(regions, RelocHeat.decodeRegions(RelocHeat.encodeRegions(regions)));
        assertEquals(List.of(), RelocHeat.decodeRegions(RelocHeat.encodeRegions(List.of())));
    }

    @Test
    void malformedRequestsAreProtocolErrors() {
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRequest(ByteBuffer.allocate(3)), "truncated");
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRequest(
                ByteBuffer.allocate(6).putInt(0).putShort((short) 0).flip()), "zero regions");
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRequest(
                ByteBuffer.allocate(6).putInt(RelocHeat.MAX_REGIONS + 1).putShort((short) 0).flip()), "too many");
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRequest(
                ByteBuffer.allocate(8).putInt(1).putShort((short) 5).put((byte) 'a').put((byte) 'b').flip()), "name cut short");
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRequest(
                ByteBuffer.allocate(8).putInt(1).putShort((short) 1).put((byte) 'a').put((byte) 'b').flip()), "trailing bytes");
    }

    @Test
    void malformedRepliesAreProtocolErrors() {
        ByteBuffer good = RelocHeat.encodeRegions(List.of(new HotRegion(0, 10, 1)));
        ByteBuffer shortOne = ByteBuffer.allocate(good.remaining() - 1).put(good.duplicate().limit(good.limit() - 1)).flip();
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRegions(shortOne), "truncated");
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRegions(ByteBuffer.allocate(4).putInt(-1).flip()));
        ByteBuffer negative = ByteBuffer.allocate(28).putInt(1).putLong(-5).putLong(10).putDouble(1).flip();
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRegions(negative), "negative offset");
        ByteBuffer nan = ByteBuffer.allocate(28).putInt(1).putLong(0).putLong(10).putDouble(Double.NaN).flip();
        assertThrows(NbdProtocolException.class, () -> RelocHeat.decodeRegions(nan), "NaN heat");
    }
}
