package io.smtpkit.relay;

import java.util.Locale;

/**
 * Where the relay sends mail: a host name or IP address and a port. The name is kept as given,
 * because TLS checks the server's certificate against it (RFC 6125; RFC 7672 §3.2.3 for SMTP).
 *
 * @param host a DNS name or an IP address (IPv6 without brackets)
 * @param port 1 to 65535
 */
public record NextHop(String host, int port) {

    /** Checks the parts. */
    public NextHop {
        if (host == null || host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
            throw new IllegalArgumentException("'" + host + "' is not a host name or IP address");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not 1 to 65535");
        }
        host = host.toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code HOST:PORT} or {@code [IPV6]:PORT}, as smtpd's second positional argument.
     *
     * @throws IllegalArgumentException with a sentence saying what is wrong
     */
    public static NextHop parse(String text) {
        String s = text.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not [IPV6]:PORT");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || s.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (IPv6 as [::1]:25)");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': the port '" + port + "' is not a number", e);
        }
        return new NextHop(host, number);
    }

    /** {@code host:port}, or {@code [v6]:port}. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
