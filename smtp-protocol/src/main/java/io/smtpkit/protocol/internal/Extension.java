package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The ESMTP extensions the session implements, one row each: its EHLO keyword, when it is
 * offered, how many octets it adds to the MAIL and RCPT line limits (RFC 5321 §4.5.3.1.4: each
 * extension that adds parameters raises the limit by what its RFC allows), and the MAIL and RCPT
 * parameters it brings with their checks. The EHLO reply ({@link #keywords}), parameter checking
 * ({@link #checkMail}, {@link #checkRcpt}) and {@link SessionConfig#maxMailLine()} all read this
 * table, so a new extension (LMTP, REQUIRETLS) is one new row.
 *
 * <p>A parameter whose extension is not offered is unknown: {@code 555} (RFC 5321 §4.1.1.11).
 */
public enum Extension {
    // RFC 1870 §3: SIZE adds 26 octets.
    SIZE(c -> "SIZE " + c.maxMessageSize(), (c, secure) -> true, c -> 26, c -> 0,
            Map.of("SIZE", Extension::size), Map.of()),
    // BODY (RFC 6152, RFC 3030 §3) is always understood, 7BIT at least. " BODY=BINARYMIME", the
    // longest value, is 16 octets (RFC 3030 §3 item 6); RFC 6152 names no figure and gets the same.
    BODY(null, (c, secure) -> true, c -> c.eightBitMime() || c.binaryMime() ? 16 : 0, c -> 0,
            Map.of("BODY", Extension::body), Map.of()),
    EIGHT_BIT_MIME(c -> "8BITMIME", (c, secure) -> c.eightBitMime(), c -> 0, c -> 0, Map.of(), Map.of()),
    // RFC 6531 §3.1: SMTPUTF8 adds 10 octets.
    SMTPUTF8(c -> "SMTPUTF8", (c, secure) -> c.smtpUtf8(), c -> c.smtpUtf8() ? 10 : 0, c -> 0,
            Map.of("SMTPUTF8", Extension::noValue), Map.of()),
    PIPELINING(c -> "PIPELINING", (c, secure) -> c.pipelining(), c -> 0, c -> 0, Map.of(), Map.of()),
    ENHANCED_STATUS_CODES(c -> "ENHANCEDSTATUSCODES", (c, secure) -> c.enhancedStatusCodes(), c -> 0, c -> 0, Map.of(), Map.of()),
    CHUNKING(c -> "CHUNKING", (c, secure) -> c.chunking(), c -> 0, c -> 0, Map.of(), Map.of()),
    BINARYMIME(c -> "BINARYMIME", (c, secure) -> c.binaryMime(), c -> 0, c -> 0, Map.of(), Map.of()),
    // RFC 3461 §4: RET and ENVID add 100 octets to MAIL, NOTIFY and ORCPT 500 to RCPT.
    DSN(c -> "DSN", (c, secure) -> c.dsn(), c -> c.dsn() ? 100 : 0, c -> c.dsn() ? 500 : 0,
            Map.of("RET", Extension::ret, "ENVID", Extension::envid),
            Map.of("NOTIFY", Extension::notify, "ORCPT", Extension::orcpt)),
    // RFC 3207 §4.2: not offered again once TLS is active.
    STARTTLS(c -> "STARTTLS", (c, secure) -> c.startTls() && !secure, c -> 0, c -> 0, Map.of(), Map.of()),
    // RFC 4954 §5: AUTH= adds 500 octets; offered without TLS only when allowed.
    AUTH(c -> "AUTH PLAIN LOGIN", (c, secure) -> c.authentication() && (secure || c.allowInsecureAuth()),
            c -> c.authentication() ? 500 : 0, c -> 0, Map.of("AUTH", Extension::value), Map.of());

    /** Checks one parameter's value ({@code null} when it has none); {@code null} when it is good. */
    private interface Check {
        Reply check(String value, SessionConfig config);
    }

    private static final Extension[] ALL = values(); // values() copies the array on every call

    private final Function<SessionConfig, String> keyword;
    private final BiPredicate<SessionConfig, Boolean> offered;
    private final ToIntFunction<SessionConfig> mailOctets;
    private final ToIntFunction<SessionConfig> rcptOctets;
    private final Map<String, Check> mailParameters;
    private final Map<String, Check> rcptParameters;

    Extension(Function<SessionConfig, String> keyword, BiPredicate<SessionConfig, Boolean> offered,
            ToIntFunction<SessionConfig> mailOctets, ToIntFunction<SessionConfig> rcptOctets,
            Map<String, Check> mailParameters, Map<String, Check> rcptParameters) {
        this.keyword = keyword;
        this.offered = offered;
        this.mailOctets = mailOctets;
        this.rcptOctets = rcptOctets;
        this.mailParameters = mailParameters;
        this.rcptParameters = rcptParameters;
    }

    /** Whether this extension is offered by {@code config} on a connection that is (not) {@code secure}. */
    public boolean offered(SessionConfig config, boolean secure) {
        return offered.test(config, secure);
    }

    /** The EHLO keywords offered, in table order (RFC 5321 §4.1.1.1). */
    public static List<String> keywords(SessionConfig config, boolean secure) {
        List<String> keywords = new ArrayList<>();
        for (Extension e : ALL) {
            if (e.keyword != null && e.offered(config, secure)) {
                keywords.add(e.keyword.apply(config));
            }
        }
        return keywords;
    }

    /** What the extensions {@code config} enables add to the MAIL line limit. */
    public static int mailLineAllowance(SessionConfig config) {
        int octets = 0;
        for (Extension e : ALL) {
            octets += e.mailOctets.applyAsInt(config);
        }
        return octets;
    }

    /** What the extensions {@code config} enables add to the RCPT line limit. */
    public static int rcptLineAllowance(SessionConfig config) {
        int octets = 0;
        for (Extension e : ALL) {
            octets += e.rcptOctets.applyAsInt(config);
        }
        return octets;
    }

    /**
     * The first problem with MAIL's parameters, in the client's order, or {@code null};
     * {@code extended}: the client greeted with EHLO.
     */
    public static Reply checkMail(Map<String, String> params, SessionConfig config, boolean extended, boolean secure) {
        return check(params, config, extended, secure, true, Replies.UNKNOWN_MAIL_PARAMETER);
    }

    /** The first problem with RCPT's parameters, as {@link #checkMail}. */
    public static Reply checkRcpt(Map<String, String> params, SessionConfig config, boolean extended, boolean secure) {
        return check(params, config, extended, secure, false, Replies.UNKNOWN_RCPT_PARAMETER);
    }

    private static Reply check(Map<String, String> params, SessionConfig config, boolean extended, boolean secure,
            boolean mail, Reply unknown) {
        if (!params.isEmpty() && !extended) {
            return unknown; // after HELO no extension is offered: parameters need EHLO (RFC 5321 §4.1.1.2, §4.1.1.3)
        }
        for (Map.Entry<String, String> p : params.entrySet()) {
            Check check = null;
            for (Extension e : ALL) {
                Check c = (mail ? e.mailParameters : e.rcptParameters).get(p.getKey());
                if (c != null) {
                    check = e.offered(config, secure) ? c : null;
                    break;
                }
            }
            Reply problem = check == null ? unknown : check.check(p.getValue(), config);
            if (problem != null) {
                return problem;
            }
        }
        return null;
    }

    // The checks, by the RFC that defines each parameter.

    /** RFC 1870 §3: size-value = 1*20DIGIT; 19 and 20 digits overflow a long and exceed any limit anyway. */
    private static Reply size(String value, SessionConfig config) {
        if (value == null || value.length() > 20 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Replies.PARAMETER_SYNTAX;
        }
        long declared = value.length() > 18 ? Long.MAX_VALUE : Long.parseLong(value);
        return config.maxMessageSize() > 0 && declared > config.maxMessageSize() ? Reply.MESSAGE_TOO_BIG : null;
    }

    /** RFC 6152 §2, RFC 3030 §3: 7BIT always, the others when offered. */
    private static Reply body(String value, SessionConfig config) {
        String body = value == null ? "" : Ascii.upper(value);
        boolean known = body.equals("7BIT")
                || (body.equals("8BITMIME") && config.eightBitMime())
                || (body.equals("BINARYMIME") && config.binaryMime());
        return known ? null : Replies.UNSUPPORTED_BODY;
    }

    /** RFC 6531 §3.4: SMTPUTF8 takes no value. */
    private static Reply noValue(String value, SessionConfig config) {
        return value != null ? Replies.PARAMETER_SYNTAX : null;
    }

    /** RFC 4954 §5: AUTH=mailbox or AUTH=<>. */
    private static Reply value(String value, SessionConfig config) {
        return value == null ? Replies.PARAMETER_SYNTAX : null;
    }

    /** RFC 3461 §4.3: RET=FULL or RET=HDRS. */
    private static Reply ret(String value, SessionConfig config) {
        return value != null && (Ascii.equalsIgnoreCase(value, "FULL") || Ascii.equalsIgnoreCase(value, "HDRS")) ? null : Replies.PARAMETER_SYNTAX;
    }

    /** RFC 3461 §4.4: ENVID of at most 100 characters. */
    private static Reply envid(String value, SessionConfig config) {
        return value == null || value.length() > 100 ? Replies.PARAMETER_SYNTAX : null;
    }

    /** RFC 3461 §4.1: NEVER alone, or a list of SUCCESS, FAILURE and DELAY. */
    private static Reply notify(String value, SessionConfig config) {
        if (value == null) {
            return Replies.PARAMETER_SYNTAX;
        }
        List<String> items = List.of(Ascii.upper(value).split(",", -1));
        boolean good = items.contains("NEVER") ? items.size() == 1
                : items.stream().allMatch(i -> i.equals("SUCCESS") || i.equals("FAILURE") || i.equals("DELAY"));
        return good ? null : Replies.PARAMETER_SYNTAX;
    }

    /** RFC 3461 §4.2: ORCPT=addr-type;xtext. */
    private static Reply orcpt(String value, SessionConfig config) {
        return value != null && value.indexOf(';') > 0 ? null : Replies.PARAMETER_SYNTAX;
    }
}
