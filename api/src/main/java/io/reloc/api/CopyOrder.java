package io.reloc.api;

import java.util.Optional;

/**
 * The order in which a relocation's background copier visits the disk: after the copier has
 * planned up to {@code cursor}, where it looks next. The copier skips blocks that are already
 * present, so an order need not track presence. One instance per relocation.
 *
 * <p>An order that reacts to clients (read-ahead, learned hot spots) also overrides
 * {@link #onAccess} to see their accesses and {@link #urgent()} to ask for blocks ahead of its
 * plain order. The copier calls {@link #next} and {@link #urgent} from its one thread;
 * {@link #onAccess} comes from the clients' threads, concurrently, so an order that overrides it
 * must be thread safe and quick (it runs on the client's request path).
 */
@FunctionalInterface
public interface CopyOrder {

    /**
     * @param cursor the block after the last one the copier planned (0 at the start of a pass)
     * @return the block to look at next, in {@code [0, blockCount)}; the copier copies the first
     *     absent block at or after it
     */
    long next(long cursor);

    /**
     * A client read or wrote blocks {@code first..first+count-1} of the relocated disk (before the
     * relocation had them, or after). Called on the client's request path, from many threads; the
     * default ignores it.
     *
     * @param client identifies the client connection when the front end says, 0 when unknown
     */
    default void onAccess(long first, long count, boolean write, long client) {}

    /**
     * Blocks the copier should copy now, before going on with {@link #next}: e.g. the window ahead
     * of a sequential reader. The copier copies the absent blocks of the range (present ones are
     * skipped), then asks again; its cursor in {@link #next}'s order does not move meanwhile. The
     * default has nothing urgent.
     */
    default Optional<BlockRange> urgent() {
        return Optional.empty();
    }

    /**
     * The relocation was just activated (switch-over): the VM runs at the destination from now on.
     * Called once, from the copier's thread, when a relocation that started in standby or
     * pre-copy becomes active with blocks left to copy; not called for one that started active.
     * An order that ranked the
     * disk with what it knew before switch-over (the source's heat map, see
     * {@link CopyContext#sourceHeatNow()}) may rank it again. Must not block: the copier waits
     * meanwhile. The default does nothing.
     */
    default void activated() {}
}
