package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/** The data of an NBD_REP_META_CONTEXT reply: u32 context id, context name (to the end). */
public record MetaContextEntry(int id, String name) {
    public MetaContextEntry {
        requireNonNull(name, "name is null");
    }

    public ByteBuffer encode() {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length).putInt(id).put(n).flip();
    }

    public static MetaContextEntry decode(ByteBuffer data) throws NbdProtocolException {
        int id = NbdStrings.getInt(data, "meta context id");
        return new MetaContextEntry(id, NbdStrings.getFixed(data, data.remaining(), "meta context name"));
    }
}
