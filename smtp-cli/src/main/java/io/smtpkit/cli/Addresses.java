package io.smtpkit.cli;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** {@code HOST:PORT} as typed on the command line, and back: {@code 127.0.0.1:8025}, {@code [::1]:8025}. */
final class Addresses {

    private Addresses() {}

    /**
     * Parses {@code HOST:PORT} or {@code [IPV6]:PORT} and resolves the host.
     *
     * @param what how the user gave it, for the error message, e.g. {@code "--listen"}
     */
    static InetSocketAddress parse(String text, String what) throws UsageError {
        String host;
        String port;
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0 || end + 1 >= text.length() || text.charAt(end + 1) != ':') {
                throw new UsageError(what + " '" + text + "' is not [IPV6]:PORT, e.g. [::1]:8025");
            }
            host = text.substring(1, end);
            port = text.substring(end + 2);
            if (host.indexOf(':') < 0) {
                // Brackets hold an IPv6 literal; anything else would go to DNS as a name.
                throw new UsageError(what + " '" + text + "': '" + host + "' is not an IPv6 address");
            }
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new UsageError(what + " '" + text + "' is not HOST:PORT, e.g. 127.0.0.1:8025");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new UsageError(what + " '" + text + "': write an IPv6 address in brackets, e.g. [::1]:8025");
            }
        }
        if (host.isEmpty()) {
            throw new UsageError(what + " '" + text + "' has no host (use 0.0.0.0:PORT or [::]:PORT for every interface)");
        }
        return new InetSocketAddress(resolve(host, text, what), port(port, text, what));
    }

    /** The same host as {@code address} on another port (for --tls-port). */
    static InetSocketAddress withPort(InetSocketAddress address, int port) {
        return new InetSocketAddress(address.getAddress(), port);
    }

    /** {@code 127.0.0.1:8025} or {@code [::1]:8025}, with IPv6 written short (RFC 5952). */
    static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        if (ip instanceof Inet6Address) {
            return "[" + shortIpv6(ip.getAddress()) + "]:" + address.getPort();
        }
        return ip.getHostAddress() + ":" + address.getPort();
    }

    private static InetAddress resolve(String host, String text, String what) throws UsageError {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new UsageError(what + " '" + text + "': unknown host '" + host + "'");
        }
    }

    private static int port(String port, String text, String what) throws UsageError {
        if (!port.matches("[0-9]{1,5}")) {
            throw new UsageError(what + " '" + text + "': port must be a number from 0 to 65535");
        }
        int value = Integer.parseInt(port);
        if (value > 65535) {
            throw new UsageError(what + " '" + text + "': port must be a number from 0 to 65535");
        }
        return value;
    }

    /** RFC 5952 §4: lower-case hex, no leading zeros, the longest run (two or more) of zero groups as "::". */
    static String shortIpv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
