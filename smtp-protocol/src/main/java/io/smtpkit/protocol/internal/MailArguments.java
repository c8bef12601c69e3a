package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import java.util.Map;

/**
 * The syntax of MAIL's and RCPT's arguments (RFC 5321 §4.1.1.2, §4.1.1.3, §4.1.2): the path and
 * the parameters, or the reply that refuses them. Which parameters are known is for
 * {@link Extension}; what the transaction makes of them is for the session.
 *
 * @param path the path, {@code null} when refused
 * @param parameters the parameters, keywords upper-cased, in the client's order; mutable
 * @param problem the refusal, {@code null} when the syntax is good
 */
public record MailArguments(MailPath path, Map<String, String> parameters, Reply problem) {

    private static MailArguments refused(Reply problem) {
        return new MailArguments(null, null, problem);
    }

    /** {@code FROM:<reverse-path> [parameters]}; {@code syntax} is MAIL's syntax text for the 501. */
    public static MailArguments mail(String argument, boolean smtpUtf8, String syntax) {
        int at = prefixEnd(argument, "FROM:");
        if (at < 0) {
            return refused(Replies.syntax(syntax));
        }
        PathParser.Parsed parsed = PathParser.parsePath(argument, at, smtpUtf8, true, false);
        if (parsed == null) {
            return refused(argument.indexOf('<', at) == at ? Replies.BAD_SENDER : Replies.syntax(syntax));
        }
        if (PathParser.hasControl(argument, at, parsed.end())) {
            return refused(Replies.SENDER_CONTROLS);
        }
        return withParameters(argument, parsed, smtpUtf8);
    }

    /**
     * {@code TO:<forward-path> [parameters]} in a transaction with ({@code smtpUtf8}) or without
     * SMTPUTF8; {@code syntax} is RCPT's syntax text for the 501.
     */
    public static MailArguments rcpt(String argument, boolean smtpUtf8, String syntax) {
        int at = prefixEnd(argument, "TO:");
        if (at < 0) {
            return refused(Replies.syntax(syntax));
        }
        PathParser.Parsed parsed = PathParser.parsePath(argument, at, smtpUtf8, false, true);
        if (parsed == null) {
            PathParser.Parsed utf8 = smtpUtf8 ? null : PathParser.parsePath(argument, at, true, false, true);
            if (utf8 != null) {
                // RFC 6531 §3.5: a UTF-8 address in a transaction without SMTPUTF8 is a 553 5.6.7
                // (RFC 5248), as on MAIL, not a syntax error; one with controls would be refused
                // even with SMTPUTF8, so that is the answer that tells the client the truth.
                return refused(PathParser.hasControl(argument, at, utf8.end()) ? Replies.RECIPIENT_CONTROLS : Replies.NEEDS_SMTPUTF8);
            }
            // Includes RCPT TO:<>, which RFC 5321 §4.1.1.3 does not allow.
            return refused(argument.indexOf('<', at) == at ? Replies.BAD_RECIPIENT : Replies.syntax(syntax));
        }
        if (PathParser.hasControl(argument, at, parsed.end())) {
            return refused(Replies.RECIPIENT_CONTROLS);
        }
        return withParameters(argument, parsed, smtpUtf8);
    }

    private static MailArguments withParameters(String argument, PathParser.Parsed parsed, boolean smtpUtf8) {
        Map<String, String> params = PathParser.parseParameters(argument, parsed.end(), smtpUtf8);
        return params == null ? refused(Replies.PARAMETER_SYNTAX) : new MailArguments(parsed.path(), params, null);
    }

    /**
     * The index after {@code "FROM:"} or {@code "TO:"} (any case) and any spaces after it, which
     * many clients send though RFC 5321 has none; -1 if the prefix is missing.
     */
    private static int prefixEnd(String argument, String prefix) {
        if (!Ascii.regionMatchesIgnoreCase(argument, 0, prefix, 0, prefix.length())) {
            return -1;
        }
        int i = prefix.length();
        while (i < argument.length() && argument.charAt(i) == ' ') {
            i++;
        }
        return i;
    }
}
