package io.reloc.strategy.hotspot;

import io.reloc.api.BlockRange;
import io.reloc.api.CopyOrder;

import java.util.List;
import java.util.Optional;

/**
 * Several orders at once: every order sees every access; the urgent ranges of the first order
 * come before those of the second, and so on; the plain order is the first one's.
 */
final class UrgentFirst implements CopyOrder {
    private final List<CopyOrder> orders;

    UrgentFirst(List<CopyOrder> orders) {
        if (orders.isEmpty()) {
            throw new IllegalArgumentException("at least one order expected");
        }
        this.orders = List.copyOf(orders);
    }

    @Override
    public long next(long cursor) {
        return orders.getFirst().next(cursor);
    }

    @Override
    public void onAccess(long first, long count, boolean write, long client) {
        for (CopyOrder order : orders) {
            order.onAccess(first, count, write, client);
        }
    }

    @Override
    public void activated() {
        orders.forEach(CopyOrder::activated);
    }

    @Override
    public Optional<BlockRange> urgent() {
        for (CopyOrder order : orders) {
            Optional<BlockRange> range = order.urgent();
            if (range.isPresent()) {
                return range;
            }
        }
        return Optional.empty();
    }
}
