package io.smtpkit.protocol;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An SMTP reply: a three-digit code (RFC 5321 §4.2), an optional enhanced status code
 * (RFC 3463, e.g. {@code 2.1.0}) and one or more lines of text.
 *
 * <p>Handlers return replies to accept or refuse what a client asked for; a {@code null}
 * reply from a hook always means "the default answer". Replies are values: two replies
 * with the same parts are equal.
 *
 * <p>The enhanced code is kept apart from the text because RFC 2034 lets a server send it
 * only once it has advertised {@code ENHANCEDSTATUSCODES} in an EHLO reply; the session decides
 * per connection whether it appears on the wire (see {@link #encode(boolean)}).
 *
 * @param code the reply code, 200 to 599
 * @param enhancedStatus the RFC 3463 code {@code class.subject.detail} whose class matches the
 *     first digit of {@code code}, or {@code null} for none
 * @param lines the text lines, at least one; none may contain CR or LF
 */
public record Reply(int code, String enhancedStatus, List<String> lines) {

    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    /** {@code 250 2.0.0 OK}: the generic success. */
    public static final Reply OK = of(250, "2.0.0", "OK");
    /** {@code 250 2.1.0 OK}: the default answer to MAIL. */
    public static final Reply SENDER_OK = of(250, "2.1.0", "OK");
    /** {@code 250 2.1.5 OK}: the default answer to RCPT. */
    public static final Reply RECIPIENT_OK = of(250, "2.1.5", "OK");
    /** {@code 235 2.7.0 Authentication successful}: what an authenticator answers to accept. */
    public static final Reply AUTHENTICATION_SUCCEEDED = of(235, "2.7.0", "Authentication successful");
    /** {@code 535 5.7.8 Authentication credentials invalid} (RFC 4954 §6). */
    public static final Reply AUTHENTICATION_FAILED = of(535, "5.7.8", "Authentication credentials invalid");
    /** {@code 451 4.3.0 Error: local error in processing}: what a failing handler produces. */
    public static final Reply LOCAL_ERROR = of(451, "4.3.0", "Error: local error in processing");
    /** {@code 550 5.1.1 Mailbox unavailable}: refuse one recipient for good. */
    public static final Reply MAILBOX_UNAVAILABLE = of(550, "5.1.1", "Mailbox unavailable");
    /** {@code 554 5.7.1 Relay access denied}: refuse a recipient this server does not serve. */
    public static final Reply RELAY_DENIED = of(554, "5.7.1", "Relay access denied");
    /** {@code 452 4.5.3 Too many recipients} (RFC 5321 §4.5.3.1.10). */
    public static final Reply TOO_MANY_RECIPIENTS = of(452, "4.5.3", "Error: too many recipients");
    /** {@code 552 5.3.4 Message size exceeds fixed maximum message size} (RFC 1870 §6.3). */
    public static final Reply MESSAGE_TOO_BIG = of(552, "5.3.4", "Message size exceeds fixed maximum message size");
    /** {@code 421 4.4.2 Error: timeout exceeded}: sent before closing an idle connection. */
    public static final Reply TIMEOUT = of(421, "4.4.2", "Error: timeout exceeded");
    /** {@code 421 4.3.2 Service shutting down}: sent to idle sessions by a closing server. */
    public static final Reply SHUTTING_DOWN = of(421, "4.3.2", "Service shutting down, closing transmission channel");
    /** {@code 421 4.7.0 Too many connections}: sent when a connection limit is reached. */
    public static final Reply TOO_MANY_CONNECTIONS = of(421, "4.7.0", "Error: too many connections");

    /**
     * Validates the parts; see the class description for the rules.
     *
     * @throws IllegalArgumentException if the code is out of range, the enhanced code is
     *     malformed or of another class, there is no line, or a line contains CR or LF
     */
    public Reply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("reply code must be 200..599: " + code);
        }
        if (enhancedStatus != null
                && (!ENHANCED.matcher(enhancedStatus).matches() || enhancedStatus.charAt(0) != '0' + code / 100)) {
            throw new IllegalArgumentException("enhanced status " + enhancedStatus + " does not fit code " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs at least one line");
        }
        for (String line : lines) {
            // A CR or LF inside a line would let text forge a reply of its own.
            if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("reply text must not contain CR or LF: " + line);
            }
        }
    }

    /** A one-line reply with an enhanced status code ({@code null} for none). */
    public static Reply of(int code, String enhancedStatus, String text) {
        return new Reply(code, enhancedStatus, List.of(text));
    }

    /** A one-line reply without an enhanced status code. */
    public static Reply of(int code, String text) {
        return new Reply(code, null, List.of(text));
    }

    /** The text of the first line. */
    public String text() {
        return lines.get(0);
    }

    /** True for 2xx and 3xx codes: the client may go on. */
    public boolean isPositive() {
        return code < 400;
    }

    /** True for 4xx codes: a temporary failure the client may retry. */
    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    /** True for 5xx codes: a permanent failure. */
    public boolean isPermanent() {
        return code >= 500;
    }

    /**
     * The wire form: every line as {@code code-text} or, on the last line, {@code code text},
     * each ended by CRLF (RFC 5321 §4.2.1).
     *
     * @param withEnhancedStatus whether to put the enhanced status code after the reply code on
     *     every line, as RFC 2034 §4 asks once the extension has been advertised
     */
    public byte[] encode(boolean withEnhancedStatus) {
        StringBuilder out = new StringBuilder(32 * lines.size());
        String prefix = withEnhancedStatus && enhancedStatus != null ? enhancedStatus + " " : "";
        for (int i = 0, last = lines.size() - 1; i <= last; i++) {
            out.append(code).append(i == last ? ' ' : '-').append(prefix).append(lines.get(i)).append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The reply as it would appear on the wire with its enhanced code, without the final CRLF. */
    @Override
    public String toString() {
        String wire = new String(encode(true), StandardCharsets.UTF_8);
        return wire.substring(0, wire.length() - 2);
    }

    /** A reply with the same code and text and another enhanced status code. */
    public Reply withEnhancedStatus(String enhanced) {
        return Objects.equals(enhanced, enhancedStatus) ? this : new Reply(code, enhanced, lines);
    }
}
