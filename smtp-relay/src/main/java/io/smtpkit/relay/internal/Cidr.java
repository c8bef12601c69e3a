package io.smtpkit.relay.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One network in CIDR notation ({@code 192.0.2.0/24}, {@code 2001:db8::/32}, RFC 4632 §3.1), for
 * the relay's {@code networks=} policy. Only numeric addresses are taken: a host name here would
 * make the policy depend on DNS.
 */
public final class Cidr {

    private final byte[] network;
    private final int prefix;
    private final String text;

    private Cidr(byte[] network, int prefix, String text) {
        this.network = network;
        this.prefix = prefix;
        this.text = text;
    }

    /**
     * Parses {@code ADDRESS/PREFIX} or a bare address (a network of one).
     *
     * @throws IllegalArgumentException with a sentence saying what is wrong
     */
    public static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String address = slash < 0 ? s : s.substring(0, slash);
        if (address.isEmpty() || !(address.contains(":") || address.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            throw new IllegalArgumentException("'" + text + "' is not an IP network such as 192.0.2.0/24 or ::1/128");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress(); // numeric only (checked above): no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP network such as 192.0.2.0/24 or ::1/128", e);
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > bits) {
                throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to " + bits);
            }
        }
        return new Cidr(mask(bytes, prefix), prefix, s);
    }

    /** True if {@code address} is in this network (IPv4 and IPv6 never match each other). */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        return a.length == network.length && Arrays.equals(mask(a, prefix), network);
    }

    /** True for {@code 0.0.0.0/0} and {@code ::/0}: every address of its family. */
    public boolean isEverything() {
        return prefix == 0;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] &= (byte) (0xff << (8 - keep));
        }
        return masked;
    }

    @Override
    public String toString() {
        return text;
    }
}
