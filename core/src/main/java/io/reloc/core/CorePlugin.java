package io.reloc.core;

import io.reloc.core.codec.Bzip2Codec;
import io.reloc.core.codec.DeflateCodec;
import io.reloc.core.codec.IdentityCodec;
import io.reloc.core.codec.Lz4Codec;
import io.reloc.core.codec.XzCodec;
import io.reloc.core.codec.ZstdCodec;
import io.reloc.core.plugin.RelocPlugin;
import io.reloc.core.store.FileSourceConnector;
import io.reloc.core.store.FileStoreFactory;
import io.reloc.core.store.MemoryStoreFactory;

/**
 * What core contributes: the {@code "file"} and {@code "memory"} stores, the transfer codecs
 * {@code "identity"}, {@code "lz4"}, {@code "zstd"}, {@code "deflate"}, {@code "bzip2"} and
 * {@code "xz"} (each at its default level), and the {@code "file"} source scheme.
 */
public final class CorePlugin extends RelocPlugin {
    @Override
    protected void configure() {
        store(FileStoreFactory.NAME).to(FileStoreFactory.class);
        store(MemoryStoreFactory.NAME).to(MemoryStoreFactory.class);

        codec(IdentityCodec.NAME).to(IdentityCodec.class);
        codec(Lz4Codec.NAME).to(Lz4Codec.class);
        codec(ZstdCodec.NAME).to(ZstdCodec.class);
        codec(DeflateCodec.NAME).to(DeflateCodec.class);
        codec(Bzip2Codec.NAME).to(Bzip2Codec.class);
        codec(XzCodec.NAME).to(XzCodec.class);

        sourceConnector(FileSourceConnector.SCHEME).to(FileSourceConnector.class);
    }
}
