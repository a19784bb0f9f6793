package io.reloc.cli;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListenAddressTest {

    @Test
    void parsesHostPortForms() {
        assertEquals(new ListenAddress("127.0.0.1", 10809), ListenAddress.parse("127.0.0.1:10809"));
        assertEquals(new ListenAddress("::1", 0), ListenAddress.parse("[::1]:0"));
        assertEquals(new ListenAddress("", 10809), ListenAddress.parse(":10809"));
        assertEquals(new ListenAddress("localhost", 65535), ListenAddress.parse("localhost:65535"));
    }

    @Test
    void printsAsGiven() {
        assertEquals("127.0.0.1:10809", ListenAddress.parse("127.0.0.1:10809").toString());
        assertEquals("[::1]:10809", ListenAddress.parse("[::1]:10809").toString());
    }

    @Test
    void rejectsMalformedAddressesWithTheSyntax() {
        for (String bad : List.of("", "10809", "host", "host:", "host:port", "::1:10809", "[::1]10809", "[::1", "h:-1", "h:123456")) {
            String message = assertThrows(UsageException.class, () -> ListenAddress.parse(bad)).getMessage();
            assertTrue(message.startsWith("bad listen address '" + bad + "'"), message);
        }
        assertTrue(assertThrows(UsageException.class, () -> ListenAddress.parse("h:65536")).getMessage().contains("0 to 65535"));
    }

    @Test
    void resolvesLiteralAndWildcard() {
        InetSocketAddress a = ListenAddress.parse("127.0.0.1:5").toSocketAddress();
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertEquals(5, a.getPort());
        assertTrue(ListenAddress.parse(":7").toSocketAddress().getAddress().isAnyLocalAddress());
    }

    @Test
    void unresolvableHostIsARuntimeError() {
        CliException e = assertThrows(CliException.class, () -> ListenAddress.parse("no-such-host.invalid:1").toSocketAddress());
        assertTrue(e.getMessage().startsWith("cannot resolve listen host 'no-such-host.invalid'"), e.getMessage());
    }

    @Test
    void clientUrisUseTheBoundAddress() {
        assertEquals("nbd://127.0.0.1:10809/vm1", ClientUris.of("nbd", new InetSocketAddress("127.0.0.1", 10809), "vm1"));
        assertEquals("nbd://[::1]:7/vm1", ClientUris.of("nbd", new InetSocketAddress("::1", 7), "vm1"));
        assertEquals("nbd://localhost:7/vm1", ClientUris.of("nbd", new InetSocketAddress(7), "vm1"));
        assertEquals("::1", ClientUris.compress("0:0:0:0:0:0:0:1"));
        assertEquals("fe80::1:0:0:2", ClientUris.compress("fe80:0:0:0:1:0:0:2"));
        assertEquals("2001:db8::", ClientUris.compress("2001:db8:0:0:0:0:0:0%eth0"));
        assertEquals("2001:0:1:0:1:0:1:0", ClientUris.compress("2001:0:1:0:1:0:1:0"));
    }
}
