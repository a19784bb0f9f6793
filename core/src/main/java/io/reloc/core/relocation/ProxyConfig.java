package io.reloc.core.relocation;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * How to start a relocating proxy.
 *
 * @param source URI of the source export ({@code nbd://host:port/name}, {@code file:/path})
 * @param cache the local image; created sparse at the source's size if missing
 * @param map the presence map file; by default beside the cache ({@code CACHE.map})
 * @param blockSize relocation block size in bytes
 * @param activate start active rather than in standby
 * @param hold how long a client read waits for an unreachable source before EIO
 * @param rateBytesPerSecond background copy limit; 0 for none
 * @param precopy hybrid pre-copy before activation: copy in the background already in standby,
 *     and at activation forget what the source says it rewrote since (needs a Reloc source);
 *     not together with {@code activate}
 */
public record ProxyConfig(URI source, Path cache, Path map, int blockSize, boolean activate, Duration hold,
                          long rateBytesPerSecond, boolean precopy) {
    public static final int DEFAULT_BLOCK_SIZE = 64 * 1024;
    public static final Duration DEFAULT_HOLD = Duration.ofSeconds(30);

    public ProxyConfig {
        requireNonNull(source, "source is null");
        requireNonNull(cache, "cache is null");
        requireNonNull(map, "map is null");
        requireNonNull(hold, "hold is null");
        new BlockGeometry(0, blockSize); // validates the block size
        if (rateBytesPerSecond < 0) {
            throw new IllegalArgumentException("rate must not be negative: " + rateBytesPerSecond);
        }
        if (precopy && activate) {
            throw new IllegalArgumentException("pre-copy happens before activation; it makes no sense with activate");
        }
    }

    /** Without pre-copy. */
    public ProxyConfig(URI source, Path cache, Path map, int blockSize, boolean activate, Duration hold,
                       long rateBytesPerSecond) {
        this(source, cache, map, blockSize, activate, hold, rateBytesPerSecond, false);
    }

    /** This configuration with hybrid pre-copy on or off. */
    public ProxyConfig withPrecopy(boolean value) {
        return new ProxyConfig(source, cache, map, blockSize, activate, hold, rateBytesPerSecond, value);
    }

    /** How the relocation starts, unless its map says it was activated already. */
    public StartMode startMode() {
        return activate ? StartMode.ACTIVE : precopy ? StartMode.PRECOPY : StartMode.STANDBY;
    }

    public static Path defaultMap(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".map");
    }
}
