package io.reloc.nbd.protocol;

import io.reloc.api.HotRegion;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Wire format of {@link NbdConstants#OPT_RELOC_HEAT}: how a relocation's destination asks a Reloc
 * source for the hot regions of an export, during the handshake, before (or instead of) GO.
 *
 * <p>Request data: u32 most regions wanted (1 to {@link #MAX_REGIONS}), u16 length and that many
 * bytes of UTF-8 export name (empty: the default export). Reply: ACK whose data is u32 count, then
 * per region, hottest first, u64 offset, u64 length and an IEEE 754 f64 heat; ERR_UNKNOWN for an
 * unknown export; ERR_UNSUP when the export has no heat map (or, from a foreign server, when the
 * option is unknown): the destination then learns hot regions from its own clients.
 */
public final class RelocHeat {
    private RelocHeat() {}

    /** Most regions one reply may carry: 16384 x 24 bytes fit well in an option reply. */
    public static final int MAX_REGIONS = 1 << 14;
    private static final int REGION_SIZE = 8 + 8 + 8;

    public record Request(String exportName, int limit) {
        public Request {
            java.util.Objects.requireNonNull(exportName, "exportName is null");
            if (limit < 1 || limit > MAX_REGIONS) {
                throw new IllegalArgumentException("1 to " + MAX_REGIONS + " regions may be asked: " + limit);
            }
        }
    }

    public static ByteBuffer encodeRequest(Request request) {
        byte[] name = request.exportName().getBytes(StandardCharsets.UTF_8);
        if (name.length > 4096) {
            throw new IllegalArgumentException("export name longer than 4096 bytes");
        }
        return ByteBuffer.allocate(4 + 2 + name.length).putInt(request.limit()).putShort((short) name.length).put(name).flip();
    }

    /** @throws NbdProtocolException when truncated, out of range or followed by trailing bytes */
    public static Request decodeRequest(ByteBuffer data) throws NbdProtocolException {
        int limit = NbdStrings.getInt(data, "RELOC_HEAT request");
        int length = Short.toUnsignedInt(NbdStrings.getShort(data, "RELOC_HEAT request"));
        if (length > 4096 || length != data.remaining()) {
            throw new NbdProtocolException("RELOC_HEAT request names an export of " + length + " bytes with "
                    + data.remaining() + " left");
        }
        String name = NbdStrings.getFixed(data, length, "RELOC_HEAT export name");
        if (limit < 1 || limit > MAX_REGIONS) {
            throw new NbdProtocolException("RELOC_HEAT asks for " + Integer.toUnsignedString(limit) + " regions; 1 to "
                    + MAX_REGIONS + " allowed");
        }
        return new Request(name, limit);
    }

    public static ByteBuffer encodeRegions(List<HotRegion> regions) {
        if (regions.size() > MAX_REGIONS) {
            throw new IllegalArgumentException("at most " + MAX_REGIONS + " regions per reply: " + regions.size());
        }
        ByteBuffer out = ByteBuffer.allocate(4 + regions.size() * REGION_SIZE).putInt(regions.size());
        for (HotRegion r : regions) {
            out.putLong(r.offset()).putLong(r.length()).putDouble(r.heat());
        }
        return out.flip();
    }

    /** @throws NbdProtocolException when the count does not match the data or a region is invalid */
    public static List<HotRegion> decodeRegions(ByteBuffer data) throws NbdProtocolException {
        int count = NbdStrings.getInt(data, "RELOC_HEAT reply");
        if (count < 0 || count > MAX_REGIONS || data.remaining() != (long) count * REGION_SIZE) {
            throw new NbdProtocolException("RELOC_HEAT reply of " + Integer.toUnsignedString(count) + " regions carries "
                    + data.remaining() + " bytes");
        }
        List<HotRegion> regions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long offset = data.getLong();
            long length = data.getLong();
            double heat = data.getDouble();
            try {
                regions.add(new HotRegion(offset, length, heat));
            } catch (IllegalArgumentException e) {
                throw new NbdProtocolException("RELOC_HEAT reply has an invalid region: " + e.getMessage());
            }
        }
        return regions;
    }
}
