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
    /**
     * What a client offers when told {@code auto}, in preference order: zstd first (the codec a
     * server without the adaptive choice picks), then the others an adaptive server may use.
     */
    public static final List<String> AUTO = List.of(ZstdCodec.NAME, Lz4Codec.NAME, DeflateCodec.NAME, Bzip2Codec.NAME,
            XzCodec.NAME);
    /** Zstandard level for the channel: level 1 keeps up with fast links on one core. */
    public static final int ZSTD_LEVEL = 1;

    private final Map<String, TransferCodec> byName;
    private final boolean adaptive;

    private ChannelCodecs(Map<String, TransferCodec> byName, boolean adaptive) {
        this.byName = byName;
        this.adaptive = adaptive;
    }

    /**
     * These codecs, with a server picking per batch the codec (or none) that moves the data fastest
     * on the measured link ({@link AdaptiveChoice}); off by default.
     */
    public ChannelCodecs withAdaptiveChoice() {
        return new ChannelCodecs(byName, true);
    }

    /** These codecs, a server always using the client's preferred one it has. */
    public ChannelCodecs withoutAdaptiveChoice() {
        return new ChannelCodecs(byName, false);
    }

    /** Whether a server using this table picks the codec per batch. */
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

    /**
     * The codecs of {@code offer} this table has, in offer order, each with its id on the
     * connection (1 + its index in the offer).
     */
    public List<BatchEncoder.Candidate> candidates(List<String> offer) {
        List<BatchEncoder.Candidate> out = new java.util.ArrayList<>();
        for (int i = 0; i < offer.size(); i++) {
            TransferCodec c = byName.get(offer.get(i));
            if (c != null && out.stream().noneMatch(o -> o.codec() == c)) {
                out.add(new BatchEncoder.Candidate(c, i + 1));
            }
        }
        return out;
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
