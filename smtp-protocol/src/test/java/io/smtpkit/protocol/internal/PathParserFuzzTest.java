package io.smtpkit.protocol.internal;

import static io.smtpkit.protocol.FuzzSupport.check;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpkit.protocol.MailPath;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The MAIL/RCPT argument grammar (RFC 5321 §4.1.2, §4.1.3, RFC 6531 §3.3) on any text: the
 * parser never throws, what it accepts obeys the grammar's limits, a path it accepts reads back
 * to itself from its {@link MailPath#toString()} form, parameters read back from their wire form, and
 * {@link PathParser#isDomain} agrees with the domain part of {@link PathParser#parsePath}.
 *
 * <p>Input: byte 0 bit 0 UTF-8 allowed, bit 1 null path allowed, bit 2 Postmaster allowed,
 * bit 3 read the text as UTF-8 (else ISO-8859-1), bits 4-7 where the path starts; then the text.
 */
class PathParserFuzzTest {

    private static final Pattern KEYWORD = Pattern.compile("[A-Z0-9][A-Z0-9-]*");

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] input) {
        int flags = input.length > 0 ? input[0] & 0xff : 0;
        boolean utf8 = (flags & 1) != 0;
        boolean allowNull = (flags & 2) != 0;
        boolean allowPostmaster = (flags & 4) != 0;
        String s = new String(input, Math.min(1, input.length), Math.max(0, input.length - 1),
                (flags & 8) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int from = Math.min(flags >> 4, s.length());

        PathParser.Parsed parsed = PathParser.parsePath(s, from, utf8, allowNull, allowPostmaster);
        if (parsed != null) {
            MailPath path = parsed.path();
            check(parsed.end() > from && parsed.end() <= s.length() && s.charAt(parsed.end() - 1) == '>',
                    "a path must end in '>' inside the text");
            check(utf8 || !path.isInternationalized(), () -> "UTF-8 accepted without SMTPUTF8: " + path);
            if (path.isNull()) {
                check(allowNull, "<> accepted where it is not allowed");
            } else if (path.domain() == null) {
                check(allowPostmaster && path.isPostmaster(), () -> "a path without a domain: " + path);
            } else {
                check(octets(path.localPart()) <= PathParser.MAX_LOCAL_PART, "local part over 64 octets");
                check(octets(path.domain()) <= PathParser.MAX_DOMAIN, "domain over 255 octets");
                check(octets(path.address()) + 2 <= PathParser.MAX_PATH, "path over 256 octets");
                check(PathParser.isDomain(path.domain(), utf8), () -> "the domain of a parsed path is no domain: " + path.domain());
            }
            // The source route is dropped, so the canonical form reads back to the same path.
            PathParser.Parsed again = PathParser.parsePath(path.toString(), 0, utf8, allowNull, allowPostmaster);
            check(again != null && again.path().equals(path) && again.end() == path.toString().length(),
                    () -> "the path does not read back from " + path);

            Map<String, String> params = PathParser.parseParameters(s, parsed.end(), utf8);
            if (params != null) {
                StringBuilder wire = new StringBuilder();
                for (Map.Entry<String, String> p : params.entrySet()) {
                    check(KEYWORD.matcher(p.getKey()).matches(), () -> "a bad parameter keyword: " + p.getKey());
                    check(p.getValue() == null || (!p.getValue().isEmpty() && p.getValue().indexOf('=') < 0
                                    && p.getValue().indexOf(' ') < 0 && p.getValue().chars().noneMatch(c -> c < 33 || c == 127)),
                            () -> "a bad parameter value: " + p.getValue());
                    check(utf8 || p.getValue() == null || p.getValue().chars().allMatch(c -> c < 128), "UTF-8 value without SMTPUTF8");
                    wire.append(' ').append(p.getKey()).append(p.getValue() == null ? "" : "=" + p.getValue());
                }
                check(params.equals(PathParser.parseParameters(wire.toString(), 0, utf8)), () -> "parameters do not read back: " + wire);
            }
        }
        // isDomain and parsePath's domain agree (within the path length limit).
        String domain = s.substring(from);
        if (octets(domain) <= 250 && domain.indexOf('>') < 0) {
            PathParser.Parsed withDomain = PathParser.parsePath("<a@" + domain + ">", 0, utf8, false, false);
            boolean parses = withDomain != null && withDomain.end() == domain.length() + 4;
            check(parses == PathParser.isDomain(domain, utf8), () -> "isDomain and parsePath disagree on " + domain);
        }
    }

    private static int octets(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
