package io.reloc.nbd.channel;

import io.reloc.api.TransferCodec;
import io.reloc.core.codec.Bzip2Codec;
import io.reloc.core.codec.DeflateCodec;
import io.reloc.core.codec.Lz4Codec;
import io.reloc.core.codec.XzCodec;
import io.reloc.core.codec.ZstdCodec;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The codecs one end of the relocation channel has, by name. An empty table turns the channel
 * off. Immutable and thread safe.
 */
public final class ChannelCodecs {
    /** What a client offers when told {@code auto}. */
    public static final String AUTO = ZstdCodec.NAME;
    /** Zstandard level for the channel: level 1 keeps up with fast links on one core. */
    public static final int ZSTD_LEVEL = 1;

    private final Map<String, TransferCodec> byName;
    private final boolean adaptive;

    private ChannelCodecs(Map<String, TransferCodec> byName, boolean adaptive) {
        this.byName = byName;
        this.adaptive = adaptive;
    }

    /**
     * These codecs, with a server deciding per batch whether encoding pays on the measured link
     * ({@link AdaptiveChoice}); off by default.
     */
    public ChannelCodecs withAdaptiveChoice() {
        return new ChannelCodecs(byName, true);
    }

    /** Whether a server using this table decides per batch whether to encode. */
    public boolean adaptive() {
        return adaptive;
    }

    /** Core's codecs (zstd at level {@value #ZSTD_LEVEL}, lz4, deflate, bzip2, xz). */
    public static ChannelCodecs standard() {
        return of(List.of(new ZstdCodec(ZSTD_LEVEL), new Lz4Codec(), new DeflateCodec(), new Bzip2Codec(), new XzCodec()));
    }

    /** The given codecs, e.g. {@code plugins.codecs()}'s; the first of a name wins. */
    public static ChannelCodecs of(Collection<? extends TransferCodec> codecs) {
        Map<String, TransferCodec> m = new LinkedHashMap<>();
        for (TransferCodec c : codecs) {
            m.putIfAbsent(c.name(), c);
        }
        return new ChannelCodecs(java.util.Collections.unmodifiableMap(m), false);
    }

    /** No codecs: the channel is off. */
    public static ChannelCodecs none() {
        return new ChannelCodecs(Map.of(), false);
    }

    public boolean isEmpty() {
        return byName.isEmpty();
    }

    public Optional<TransferCodec> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public java.util.Set<String> names() {
        return byName.keySet();
    }

    /** The index in {@code offer} of the first codec this table has, if any. */
    public OptionalInt pick(List<String> offer) {
        for (int i = 0; i < offer.size(); i++) {
            if (byName.containsKey(offer.get(i))) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }
}
