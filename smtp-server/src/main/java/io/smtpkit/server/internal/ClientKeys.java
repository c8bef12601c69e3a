package io.smtpkit.server.internal;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * What counts as one client for per-client limits: an IPv4 address, or an IPv6 /64. A single
 * IPv6 host is routinely given a whole /64 (RFC 6177), so counting IPv6 clients per address
 * would let one host take a fresh address for every connection. Not API.
 */
public final class ClientKeys {

    private ClientKeys() {}

    /** The key of {@code address}: equal for addresses of the same client. */
    public static Object of(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            long prefix = 0;
            for (int i = 0; i < 8; i++) {
                prefix = (prefix << 8) | (bytes[i] & 0xff);
            }
            return new Ipv6Prefix(prefix);
        }
        return address;
    }

    /** The upper 64 bits of an IPv6 address. */
    record Ipv6Prefix(long bits) {
        @Override
        public String toString() {
            return String.format("%x:%x:%x:%x::/64", bits >>> 48, (bits >>> 32) & 0xffff, (bits >>> 16) & 0xffff, bits & 0xffff);
        }
    }
}
