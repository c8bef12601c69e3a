package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Per-client keys: a whole IPv4 address, an IPv6 /64. */
class ClientKeysTest {

    @Test
    void ipv4IsTheWholeAddress() throws Exception {
        assertEquals(key("192.0.2.1"), key("192.0.2.1"));
        assertNotEquals(key("192.0.2.1"), key("192.0.2.2"));
        assertEquals("192.0.2.1", ClientKeys.describe(key("192.0.2.1")));
    }

    @Test
    void ipv6IsItsFirst64Bits() throws Exception {
        assertEquals(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assertNotEquals(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assertNotEquals(key("::1"), key("127.0.0.1"));
        assertEquals("2001:db8:1:2::/64", ClientKeys.describe(key("2001:db8:1:2::1")));
    }

    private static Object key(String literal) throws Exception {
        return ClientKeys.of(InetAddress.getByName(literal));
    }
}
