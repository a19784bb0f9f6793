package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/** The data of an NBD_REP_SERVER reply to NBD_OPT_LIST: u32 name length, name, description. */
public record ServerEntry(String name, String description) {
    public ServerEntry {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
    }

    public ByteBuffer encode() {
        byte[] d = description.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(4 + NbdStrings.utf8Length(name) + d.length);
        NbdStrings.putPrefixed(out, name);
        return out.put(d).flip();
    }

    public static ServerEntry decode(ByteBuffer data) throws NbdProtocolException {
        String name = NbdStrings.getPrefixed(data, "export name");
        String description = NbdStrings.getFixed(data, data.remaining(), "export description");
        return new ServerEntry(name, description);
    }
}
