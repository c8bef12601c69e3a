package io.smtpkit.server.internal;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Which client a connection counts against for per-client limits. An IPv4 client is its
 * address. An IPv6 client is its /64: one subscriber line or host is usually given a whole /64
 * (RFC 6177 §2), so counting single addresses would let one host take 2^64 allowances.
 */
final class ClientKeys {

    private ClientKeys() {}

    /** The key of {@code address}: equal for two addresses exactly when they are the same client. */
    static Object of(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] bytes = address.getAddress();
            long prefix = 0;
            for (int i = 0; i < 8; i++) {
                prefix = prefix << 8 | (bytes[i] & 0xff);
            }
            return new Ipv6Prefix(prefix);
        }
        return address; // Inet4Address compares by its 32 bits alone
    }

    /** A key for a log line: {@code 192.0.2.1}, {@code 2001:db8:0:1::/64}. */
    static String describe(Object key) {
        return key instanceof InetAddress address ? address.getHostAddress() : String.valueOf(key);
    }

    /** The first 64 bits of an IPv6 address. */
    record Ipv6Prefix(long bits) {
        @Override
        public String toString() {
            StringBuilder text = new StringBuilder();
            for (int shift = 48; shift >= 0; shift -= 16) {
                text.append(Long.toHexString(bits >>> shift & 0xffff)).append(':');
            }
            return text.append(":/64").toString();
        }
    }
}
