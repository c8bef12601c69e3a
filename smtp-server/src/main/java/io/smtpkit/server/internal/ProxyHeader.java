package io.smtpkit.server.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The PROXY protocol header a load balancer puts before the client's first octet (HAProxy's
 * {@code doc/proxy-protocol.txt}, versions 1 and 2, told apart by their first octets), parsed
 * sans-IO: {@link #parse} is given every octet received so far and says whether more are needed,
 * what the header said and how many octets it took; the octets after it are the client's SMTP.
 * Transport framing, not SMTP, so it lives with the transport rather than in smtp-protocol. Every
 * deviation from the spec is an {@link Status#INVALID} result with the reason (spec §2.1: "any
 * sequence which does not exactly match the protocol must be discarded"); nothing is thrown.
 * Not API.
 */
public final class ProxyHeader {

    /** §2.1: the longest v1 line, CRLF included ({@code PROXY UNKNOWN} with two full IPv6 addresses). */
    static final int V1_MAX = 107;
    /** §2.2: the fixed part of a v2 header; the length field says how much follows. */
    static final int V2_FIXED = 16;
    private static final byte[] V1_PREFIX = "PROXY ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private ProxyHeader() {}

    /** What {@link #parse} found. */
    public enum Status {
        /** A prefix of a header: read more and parse again from the start. */
        NEED_MORE,
        /** The header names the original client ({@link Result#source()}) and the address it connected to. */
        PROXIED,
        /**
         * A valid header that names no client: v2 {@code LOCAL} (the balancer's own health check),
         * v1 {@code UNKNOWN}, or a v2 family this server does not use (unspecified, AF_UNIX, UDP).
         * The spec's answer to each: use the real endpoints of the connection.
         */
        LOCAL,
        /** Not a PROXY header, or a broken one: close the connection (§2.1, §2.2). */
        INVALID
    }

    /**
     * One outcome of {@link #parse}: {@code consumed} octets (zero unless {@code PROXIED} or
     * {@code LOCAL}) belong to the header; {@code source} and {@code destination} are set when
     * {@code PROXIED}; {@code reason} says what was wrong when {@code INVALID}.
     */
    public record Result(Status status, int consumed, InetSocketAddress source, InetSocketAddress destination,
            String reason) {

        static final Result NEED_MORE = new Result(Status.NEED_MORE, 0, null, null, null);

        static Result invalid(String reason) {
            return new Result(Status.INVALID, 0, null, null, reason);
        }

        static Result local(int consumed) {
            return new Result(Status.LOCAL, consumed, null, null, null);
        }
    }

    /**
     * Parses the header at the start of {@code input}, between its position and limit; neither
     * moves. Give it everything received so far each time: it keeps no state. A prefix that
     * cannot begin a header is refused at once (§2.1: abort as soon as possible), not after a timeout.
     */
    public static Result parse(ByteBuffer input) {
        int available = input.remaining();
        if (available == 0) {
            return Result.NEED_MORE;
        }
        byte first = input.get(input.position());
        if (first == V2_SIGNATURE[0]) {
            return parseV2(input);
        } else if (first == V1_PREFIX[0]) {
            return parseV1(input);
        }
        return Result.invalid("not a PROXY protocol header");
    }

    // ------------------------------------------------------------------------------------------
    // Version 1 (§2.1): "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY UNKNOWN ...\r\n"

    private static Result parseV1(ByteBuffer input) {
        int start = input.position();
        int available = input.remaining();
        int scan = Math.min(available, V1_MAX);
        int lf = -1;
        for (int i = 0; i < scan; i++) {
            byte b = input.get(start + i);
            if (i < V1_PREFIX.length && b != V1_PREFIX[i]) {
                return Result.invalid("not a PROXY protocol header");
            }
            if (b == '\n') {
                // §2.1: "must not tolerate a single CR or LF character to end the line"
                if (i == 0 || input.get(start + i - 1) != '\r') {
                    return Result.invalid("v1 line ends in a bare LF");
                }
                lf = i;
                break;
            }
            if (b == '\r' && i + 1 < available && input.get(start + i + 1) != '\n') {
                return Result.invalid("v1 line has a bare CR");
            }
            if (b != '\r' && (b < 0x20 || b > 0x7e)) {
                return Result.invalid("v1 line has a control or non-ASCII octet");
            }
        }
        if (lf < 0) {
            return available >= V1_MAX ? Result.invalid("v1 line longer than 107 octets") : Result.NEED_MORE;
        }
        int consumed = lf + 1;
        byte[] line = new byte[lf - 1];
        input.get(start, line);
        return parseV1Line(new String(line, StandardCharsets.US_ASCII), consumed);
    }

    private static Result parseV1Line(String line, int consumed) {
        String[] fields = line.split(" ", -1);
        // fields[0] is "PROXY", checked octet by octet above
        if (fields.length >= 2 && fields[1].equals("UNKNOWN")) {
            return Result.local(consumed); // §2.1: "the receiver must ignore anything presented before the CRLF"
        }
        if (fields.length < 2 || !(fields[1].equals("TCP4") || fields[1].equals("TCP6"))) {
            return Result.invalid("v1 protocol is not TCP4, TCP6 or UNKNOWN");
        }
        if (fields.length != 6) {
            return Result.invalid("v1 line does not have exactly 6 fields separated by single spaces");
        }
        boolean v4 = fields[1].equals("TCP4");
        byte[] source = v4 ? ipv4(fields[2]) : ipv6(fields[2]);
        byte[] destination = v4 ? ipv4(fields[3]) : ipv6(fields[3]);
        if (source == null || destination == null) {
            return Result.invalid("v1 address is not a canonical " + (v4 ? "IPv4" : "IPv6") + " address");
        }
        int sourcePort = port(fields[4]);
        int destinationPort = port(fields[5]);
        if (sourcePort < 0 || destinationPort < 0) {
            return Result.invalid("v1 port is not a decimal number in 0..65535 without heading zeroes");
        }
        return new Result(Status.PROXIED, consumed, socketAddress(source, sourcePort),
                socketAddress(destination, destinationPort), null);
    }

    /** §2.1: exactly four decimals in 0..255, no heading zeroes; null otherwise. */
    static byte[] ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] address = new byte[4];
        for (int i = 0; i < 4; i++) {
            int value = decimal(parts[i], 3);
            if (value < 0 || value > 255) {
                return null;
            }
            address[i] = (byte) value;
        }
        return address;
    }

    /**
     * §2.1: colon-separated groups of up to 4 hex digits, at most one {@code ::}, 128 bits in all;
     * the last 32 bits may be a dotted quad (as {@code inet_ntop} prints a mapped IPv4 address).
     * Null otherwise. Parsed here, not by {@link InetAddress}, which would take a host name too.
     */
    static byte[] ipv6(String text) {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        byte[] address = new byte[16];
        if (gap < 0) {
            return groups(text, address, 0, 16) == 16 ? address : null;
        }
        byte[] head = new byte[16];
        byte[] tail = new byte[16];
        int headLength = groups(text.substring(0, gap), head, 0, 14);
        int tailLength = groups(text.substring(gap + 2), tail, 0, 14);
        if (headLength < 0 || tailLength < 0 || headLength + tailLength > 14) {
            return null; // "::" stands for at least one zero group
        }
        System.arraycopy(head, 0, address, 0, headLength);
        System.arraycopy(tail, 0, address, 16 - tailLength, tailLength);
        return address;
    }

    /** Parses {@code text}'s groups into {@code out} from {@code at}; the octets written, or -1. */
    private static int groups(String text, byte[] out, int at, int max) {
        if (text.isEmpty()) {
            return 0;
        }
        String[] parts = text.split(":", -1);
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i];
            if (i == parts.length - 1 && part.indexOf('.') >= 0) {
                byte[] quad = ipv4(part);
                if (quad == null || n + 4 > max) {
                    return -1;
                }
                System.arraycopy(quad, 0, out, at + n, 4);
                return n + 4;
            }
            if (part.isEmpty() || part.length() > 4 || n + 2 > max) {
                return -1;
            }
            int value = 0;
            for (int k = 0; k < part.length(); k++) {
                int digit = Character.digit(part.charAt(k), 16);
                if (digit < 0) {
                    return -1;
                }
                value = value << 4 | digit;
            }
            out[at + n++] = (byte) (value >>> 8);
            out[at + n++] = (byte) value;
        }
        return n;
    }

    /** §2.1: a decimal port in 0..65535 without heading zeroes; -1 otherwise. */
    static int port(String text) {
        int value = decimal(text, 5);
        return value > 65535 ? -1 : value;
    }

    /** Up to {@code maxDigits} ASCII digits, no heading zero unless the number is 0; -1 otherwise. */
    private static int decimal(String text, int maxDigits) {
        int length = text.length();
        if (length == 0 || length > maxDigits || (length > 1 && text.charAt(0) == '0')) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    // ------------------------------------------------------------------------------------------
    // Version 2 (§2.2): 12-octet signature, version and command, family and protocol, length

    private static Result parseV2(ByteBuffer input) {
        int start = input.position();
        int available = input.remaining();
        for (int i = 0; i < Math.min(available, V2_SIGNATURE.length); i++) {
            if (input.get(start + i) != V2_SIGNATURE[i]) {
                return Result.invalid("not a PROXY protocol header");
            }
        }
        if (available > 12) {
            int versionCommand = input.get(start + 12) & 0xff;
            if (versionCommand >>> 4 != 2) {
                return Result.invalid("v2 version is not 2");
            }
            if ((versionCommand & 0x0f) > 1) {
                return Result.invalid("v2 command is neither LOCAL nor PROXY");
            }
        }
        if (available > 13) {
            int familyProtocol = input.get(start + 13) & 0xff;
            if (familyProtocol >>> 4 > 3 || (familyProtocol & 0x0f) > 2) {
                return Result.invalid("v2 address family or transport protocol is not defined");
            }
        }
        if (available < V2_FIXED) {
            return Result.NEED_MORE;
        }
        int length = input.getShort(start + 14) & 0xffff;
        int consumed = V2_FIXED + length;
        if (available < consumed) {
            return Result.NEED_MORE;
        }
        boolean local = (input.get(start + 12) & 0x0f) == 0;
        int family = (input.get(start + 13) & 0xff) >>> 4;
        int protocol = input.get(start + 13) & 0x0f;
        if (local || family == 0 || protocol == 0) {
            // LOCAL: "discard the protocol block including the family"; UNSPEC: "ignore address
            // information", whose length is then unknown, so its TLVs cannot be found either.
            return Result.local(consumed);
        }
        int addressLength = switch (family) {
            case 1 -> 12;
            case 2 -> 36;
            default -> 216;
        };
        if (length < addressLength) {
            return Result.invalid("v2 length " + length + " is shorter than its addresses (" + addressLength + ")");
        }
        String tlvError = checkTlvs(input, start + V2_FIXED + addressLength, start + consumed);
        if (tlvError != null) {
            return Result.invalid(tlvError);
        }
        if (family == 3 || protocol == 2) {
            // AF_UNIX or UDP cannot be this TCP connection's client: fall back to UNSPEC (§2.2).
            return Result.local(consumed);
        }
        int ipLength = family == 1 ? 4 : 16;
        int at = start + V2_FIXED;
        byte[] source = new byte[ipLength];
        byte[] destination = new byte[ipLength];
        input.get(at, source);
        input.get(at + ipLength, destination);
        int sourcePort = input.getShort(at + 2 * ipLength) & 0xffff;
        int destinationPort = input.getShort(at + 2 * ipLength + 2) & 0xffff;
        return new Result(Status.PROXIED, consumed, socketAddress(source, sourcePort),
                socketAddress(destination, destinationPort), null);
    }

    /**
     * The TLVs after the addresses are skipped, but they must tile the rest of the header
     * exactly: a length one off would otherwise eat the client's first octet or leave a
     * fragment, and both mean the header is not what its sender meant.
     */
    private static String checkTlvs(ByteBuffer input, int from, int end) {
        int at = from;
        while (at < end) {
            if (end - at < 3) {
                return "v2 TLV header cut short by the header length";
            }
            int valueLength = input.getShort(at + 1) & 0xffff;
            at += 3 + valueLength;
        }
        return at == end ? null : "v2 TLV runs past the header length";
    }

    private static InetSocketAddress socketAddress(byte[] address, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByAddress(address), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 octets are always an address", e);
        }
    }
}
