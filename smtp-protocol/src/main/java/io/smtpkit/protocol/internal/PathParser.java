package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.MailPath;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The grammar of RFC 5321 §4.1.2 for MAIL and RCPT arguments: Reverse-path, Forward-path,
 * Mailbox, Local-part, Domain, address literals (§4.1.3) and esmtp-param, with the UTF-8 forms
 * of RFC 6531 §3.3 when allowed. Failures are values ({@code null}), never exceptions.
 *
 * <p>RFC 6531 §3.3 admits any UTF8-non-ascii where ASCII atext, qtext or a letter may stand, and
 * so, by the grammar alone, the C1 controls and U+2028/U+2029 as well; {@link #hasControl} is
 * the check that keeps them out.
 */
public final class PathParser {

    // RFC 5321 §4.5.3.1: sizes in octets.
    static final int MAX_LOCAL_PART = 64;
    static final int MAX_DOMAIN = 255;
    static final int MAX_PATH = 256;

    private PathParser() {}

    /** A path and the index just after its closing bracket. */
    public record Parsed(MailPath path, int end) {}

    /**
     * Parses a path in angle brackets starting at {@code from}.
     *
     * @param utf8 whether UTF-8 in local part and domain is allowed (RFC 6531)
     * @param allowNull whether {@code <>} is allowed (MAIL only)
     * @param allowPostmaster whether the domain-less {@code <Postmaster>} is allowed (RCPT only)
     * @return the path, or {@code null} if the text is not a valid path
     */
    public static Parsed parsePath(String s, int from, boolean utf8, boolean allowNull, boolean allowPostmaster) {
        int n = s.length();
        int i = from;
        if (i >= n || s.charAt(i) != '<') {
            return null;
        }
        i++;
        boolean routed = i < n && s.charAt(i) == '@';
        if (routed) {
            // RFC 5321 Appendix C: a source route is accepted and ignored.
            i = skipSourceRoute(s, i, utf8);
            if (i < 0) {
                return null;
            }
        }
        if (i >= n) {
            return null; // "<" or "<@route:" at the end of the line
        }
        if (s.charAt(i) == '>') {
            // A source route must be followed by a mailbox: "<@a.example:>" is no null path.
            return allowNull && !routed ? new Parsed(MailPath.NULL, i + 1) : null;
        }
        int localStart = i;
        i = s.charAt(i) == '"' ? skipQuotedString(s, i, utf8) : skipDotString(s, i, utf8);
        if (i < 0 || i >= n) {
            return null;
        }
        String local = s.substring(localStart, i);
        if (s.charAt(i) == '>') {
            if (allowPostmaster && Ascii.equalsIgnoreCase(local, "postmaster")) {
                return new Parsed(new MailPath(local, null), i + 1);
            }
            return null;
        }
        if (s.charAt(i) != '@') {
            return null;
        }
        i++;
        int domainStart = i;
        i = i < n && s.charAt(i) == '[' ? skipAddressLiteral(s, i) : skipDomain(s, i, utf8);
        if (i < 0 || i >= n || s.charAt(i) != '>') {
            return null;
        }
        String domain = s.substring(domainStart, i);
        if (octets(local) > MAX_LOCAL_PART || octets(domain) > MAX_DOMAIN
                || octets(local) + 1 + octets(domain) + 2 > MAX_PATH) {
            return null;
        }
        return new Parsed(new MailPath(local, domain), i + 1);
    }

    /**
     * True if {@code s} holds, between {@code from} and {@code to}, a character that has no place
     * in an address even under SMTPUTF8: a C0 control or DEL (which the ASCII grammar already
     * keeps out), a C1 control U+0080-U+009F, or U+2028 LINE SEPARATOR / U+2029 PARAGRAPH
     * SEPARATOR. RFC 5198 §2 forbids the C1 controls in network text; all of them would reach
     * logs, headers and terminals as line breaks or escape sequences (U+009B is CSI, U+0085 NEL).
     */
    public static boolean hasControl(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (isControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** A C0 control, DEL, a C1 control or U+2028/U+2029 (see {@link #hasControl}). */
    public static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
    }

    /**
     * Parses {@code SP esmtp-param *(SP esmtp-param)} from {@code from} to the end.
     * Keywords are upper-cased; a repeated keyword is an error.
     *
     * @return the parameters in order, or {@code null} on a syntax error
     */
    public static Map<String, String> parseParameters(String s, int from, boolean utf8) {
        Map<String, String> params = new LinkedHashMap<>();
        int n = s.length();
        int i = from;
        while (i < n) {
            if (s.charAt(i) != ' ') {
                return null;
            }
            while (i < n && s.charAt(i) == ' ') {
                i++;
            }
            if (i == n) {
                break; // trailing spaces are tolerated
            }
            int k = i;
            if (!isAlnum(s.charAt(i))) {
                return null;
            }
            while (i < n && (isAlnum(s.charAt(i)) || s.charAt(i) == '-')) {
                i++;
            }
            String keyword = Ascii.upper(s.substring(k, i));
            String value = null;
            if (i < n && s.charAt(i) == '=') {
                int v = ++i;
                while (i < n && isValueChar(s.charAt(i), utf8)) {
                    i++;
                }
                if (i == v) {
                    return null;
                }
                value = s.substring(v, i);
            }
            if (params.containsKey(keyword)) {
                return null;
            }
            params.put(keyword, value);
        }
        return params;
    }

    /**
     * RFC 5321 §4.1.2 Domain (with U-labels when {@code utf8}) or §4.1.3 address literal. The
     * session does not hold HELO/EHLO names to this grammar (see {@code Decision.Hello}): real
     * clients send underscores and bare IP addresses.
     */
    public static boolean isDomain(String s, boolean utf8) {
        if (s.startsWith("[")) {
            return skipAddressLiteral(s, 0) == s.length();
        }
        return skipDomain(s, 0, utf8) == s.length();
    }

    private static int skipSourceRoute(String s, int i, boolean utf8) {
        int n = s.length();
        while (true) {
            if (i >= n || s.charAt(i) != '@') {
                return -1;
            }
            i = s.charAt(i + 1 < n ? i + 1 : i) == '[' ? skipAddressLiteral(s, i + 1) : skipDomain(s, i + 1, utf8);
            if (i < 0 || i >= n) {
                return -1;
            }
            if (s.charAt(i) == ':') {
                return i + 1;
            }
            if (s.charAt(i) != ',') {
                return -1;
            }
            i++;
        }
    }

    private static int skipDotString(String s, int i, boolean utf8) {
        int n = s.length();
        boolean needAtom = true;
        while (i < n) {
            char c = s.charAt(i);
            if (isAtext(c, utf8)) {
                needAtom = false;
            } else if (c == '.' && !needAtom) {
                needAtom = true;
            } else {
                break;
            }
            i++;
        }
        return needAtom ? -1 : i;
    }

    private static int skipQuotedString(String s, int i, boolean utf8) {
        int n = s.length();
        i++; // opening quote
        while (i < n) {
            char c = s.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                if (i + 1 >= n || s.charAt(i + 1) < 32 || s.charAt(i + 1) > 126) {
                    return -1;
                }
                i += 2;
            } else if ((c >= 32 && c <= 126) || (utf8 && c > 127)) {
                i++;
            } else {
                return -1;
            }
        }
        return -1;
    }

    private static int skipDomain(String s, int i, boolean utf8) {
        int n = s.length();
        while (true) {
            // sub-domain = Let-dig [Ldh-str]: starts and ends with a letter or digit.
            int labelStart = i;
            while (i < n && (isLetDig(s.charAt(i), utf8) || s.charAt(i) == '-')) {
                i++;
            }
            if (i == labelStart || s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') {
                return -1;
            }
            if (i < n && s.charAt(i) == '.') {
                i++;
            } else {
                return i;
            }
        }
    }

    private static int skipAddressLiteral(String s, int i) {
        int close = s.indexOf(']', i);
        if (i >= s.length() || s.charAt(i) != '[' || close < 0) {
            return -1;
        }
        String literal = s.substring(i + 1, close);
        boolean valid;
        if (Ascii.regionMatchesIgnoreCase(literal, 0, "IPv6:", 0, 5)) {
            valid = isIpv6(literal.substring(5));
        } else if (!literal.isEmpty() && isDigit(literal.charAt(0))) {
            valid = isIpv4(literal);
        } else {
            valid = isGeneralLiteral(literal);
        }
        return valid ? close + 1 : -1;
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> isDigit((char) c)) || Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv6(String s) {
        // RFC 5321 §4.1.3 IPv6-addr: eight groups, or fewer around one "::", and the last two
        // groups may be written as an IPv4 address.
        String hex = s;
        int lastColon = s.lastIndexOf(':');
        if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
            if (!isIpv4(s.substring(lastColon + 1))) {
                return false;
            }
            hex = s.substring(0, lastColon + 1) + "0:0";
        }
        int compressed = hex.indexOf("::");
        if (compressed < 0) {
            return groups(hex) == 8;
        }
        if (hex.indexOf("::", compressed + 1) >= 0) {
            return false;
        }
        int left = compressed == 0 ? 0 : groups(hex.substring(0, compressed));
        int right = compressed + 2 == hex.length() ? 0 : groups(hex.substring(compressed + 2));
        return left >= 0 && right >= 0 && left + right <= 7;
    }

    /** The number of colon-separated groups of 1 to 4 hex digits, or -1 if any group is not one. */
    private static int groups(String s) {
        String[] parts = s.split(":", -1);
        for (String g : parts) {
            if (g.isEmpty() || g.length() > 4 || !g.chars().allMatch(c -> isDigit((char) c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return -1;
            }
        }
        return parts.length;
    }

    private static boolean isGeneralLiteral(String s) {
        // General-address-literal = Standardized-tag ":" 1*dcontent
        int colon = s.indexOf(':');
        if (colon <= 0 || colon == s.length() - 1 || skipDomain(s, 0, false) != colon) {
            return false;
        }
        for (int i = colon + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') {
                return false;
            }
        }
        return true;
    }

    /**
     * ASCII digits only: {@link Character#isDigit} and {@link Integer#parseInt} also take other
     * scripts' digits, which would let "[١٢٧.0.0.1]" pass for an IPv4 literal.
     */
    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAlnum(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static boolean isLetDig(char c, boolean utf8) {
        return isAlnum(c) || (utf8 && c > 127);
    }

    private static boolean isAtext(char c, boolean utf8) {
        if (isAlnum(c)) {
            return true;
        }
        if (c > 127) {
            return utf8;
        }
        return "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }

    private static boolean isValueChar(char c, boolean utf8) {
        // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 under RFC 6531 §3.3, but no controls
        // (see hasControl): a value such as ORCPT's is carried on into DSNs and logs.
        return (c >= 33 && c <= 126 && c != '=') || (utf8 && c > 127 && !isControl(c));
    }

    private static int octets(String s) {
        int ascii = 0;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 127) {
                return s.getBytes(StandardCharsets.UTF_8).length;
            }
            ascii++;
        }
        return ascii;
    }
}
