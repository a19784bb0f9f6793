package io.reloc.nbd.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The data of NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT: u32 name length, export
 * name, u32 query count, each query a u32 length and a string.
 */
public record MetaContextRequest(String exportName, List<String> queries) {
    public MetaContextRequest {
        requireNonNull(exportName, "exportName is null");
        queries = List.copyOf(queries);
    }

    public ByteBuffer encode() {
        int size = 4 + NbdStrings.utf8Length(exportName) + 4;
        for (String q : queries) {
            size += 4 + NbdStrings.utf8Length(q);
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        NbdStrings.putPrefixed(out, exportName);
        out.putInt(queries.size());
        queries.forEach(q -> NbdStrings.putPrefixed(out, q));
        return out.flip();
    }

    public static MetaContextRequest decode(ByteBuffer data) throws NbdProtocolException {
        String name = NbdStrings.getPrefixed(data, "export name");
        long count = Integer.toUnsignedLong(NbdStrings.getInt(data, "query count"));
        // Each query takes at least 4 bytes: a count that cannot fit is malformed, not a reason to allocate.
        if (count * 4 > data.remaining()) {
            throw new NbdProtocolException("query count " + count + " does not fit in the " + data.remaining() + " bytes that follow");
        }
        List<String> queries = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            queries.add(NbdStrings.getPrefixed(data, "meta context query"));
        }
        if (data.hasRemaining()) {
            throw new NbdProtocolException(data.remaining() + " unexpected bytes after the meta context queries");
        }
        return new MetaContextRequest(name, queries);
    }
}
