package io.smtpkit.server.internal;

import java.net.InetAddress;

/**
 * A numeric IPv4 or IPv6 network ({@code 10.0.0.0/8}, {@code ::1/128}, or one address): the
 * balancers a PROXY protocol listener believes. Parsed without a name lookup, by the PROXY
 * header's own address rules. Not API.
 */
public final class Network {

    private final byte[] prefix;
    private final int bits;
    private final String text;

    private Network(byte[] prefix, int bits, String text) {
        this.prefix = prefix;
        this.bits = bits;
        this.text = text;
    }

    /**
     * {@code address/bits} or a bare address (all its bits).
     *
     * @throws IllegalArgumentException naming {@code text} if it is not one
     */
    public static Network parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = address.indexOf(':') >= 0 ? ProxyHeader.ipv6(address) : ProxyHeader.ipv4(address);
        if (bytes == null) {
            throw new IllegalArgumentException("not a numeric IPv4 or IPv6 network: " + Printable.of(text));
        }
        int bits = bytes.length * 8;
        if (slash >= 0) {
            String length = trimmed.substring(slash + 1);
            bits = length.matches("[0-9]{1,3}") ? Integer.parseInt(length) : -1;
            if (bits > bytes.length * 8 || bits < 0) {
                throw new IllegalArgumentException("not a prefix length for " + address + ": " + Printable.of(text));
            }
        }
        return new Network(bytes, bits, trimmed);
    }

    /** Whether {@code address} is in this network; an IPv4 address is never in an IPv6 network, nor the other way. */
    public boolean contains(InetAddress address) {
        byte[] other = address.getAddress();
        if (other.length != prefix.length) {
            return false;
        }
        int whole = bits / 8;
        for (int i = 0; i < whole; i++) {
            if (other[i] != prefix[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (other[whole] & mask) == (prefix[whole] & mask);
    }

    @Override
    public String toString() {
        return text;
    }
}
