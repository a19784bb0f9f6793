package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The data of NBD_OPT_INFO and NBD_OPT_GO: u32 name length, name, u16 count, count × u16
 * information types.
 */
public record ExportInfoRequest(String exportName, List<Integer> infoTypes) {
    public ExportInfoRequest {
        requireNonNull(exportName, "exportName is null");
        infoTypes = List.copyOf(infoTypes);
    }

    public ByteBuffer encode() {
        ByteBuffer out = ByteBuffer.allocate(4 + NbdStrings.utf8Length(exportName) + 2 + 2 * infoTypes.size());
        NbdStrings.putPrefixed(out, exportName);
        out.putShort((short) infoTypes.size());
        infoTypes.forEach(t -> out.putShort(t.shortValue()));
        return out.flip();
    }

    /** @throws NbdProtocolException when the data is truncated, too long, or the name is malformed */
    public static ExportInfoRequest decode(ByteBuffer data) throws NbdProtocolException {
        String name = NbdStrings.getPrefixed(data, "export name");
        int count = Short.toUnsignedInt(NbdStrings.getShort(data, "information request count"));
        if (data.remaining() != 2 * count) {
            throw new NbdProtocolException("information request count " + count + " needs " + 2 * count
                    + " bytes but " + data.remaining() + " follow");
        }
        List<Integer> types = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            types.add(Short.toUnsignedInt(data.getShort()));
        }
        return new ExportInfoRequest(name, types);
    }
}
