package io.reloc.strategy.prefetch;

import io.reloc.api.CopyOrder;
import io.reloc.core.plugin.PluginException;
import io.reloc.core.plugin.Plugins;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearStrategyTest {
    @Test
    void loadsThroughServiceLoaderAndWalksTheDiskInOrder() {
        CopyOrder order = Plugins.load().strategies().get("linear").create(100);
        assertEquals(0, order.next(0));
        assertEquals(42, order.next(42));
        assertEquals(100, order.next(250), "never beyond the disk");
    }

    @Test
    void anUnknownStrategyListsTheKnownOnes() {
        PluginException e = assertThrows(PluginException.class, () -> Plugins.load().strategies().get("zigzag"));
        assertTrue(e.getMessage().contains("linear"), e.getMessage());
    }
}
