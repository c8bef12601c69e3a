package io.smtpkit.protocol;

import java.util.Locale;

/**
 * A reverse-path or forward-path of MAIL and RCPT (RFC 5321 §4.1.2), source route already
 * dropped (Appendix C).
 *
 * @param localPart the local part as it appears inside the brackets (a quoted local part keeps
 *     its quotes and escapes), empty for the null path
 * @param domain the domain or address literal (with its brackets), or {@code null} for the null
 *     reverse-path {@code <>} and for the special recipient {@code <Postmaster>}
 */
public record MailPath(String localPart, String domain) {

    /** The null reverse-path {@code <>} used by bounces (RFC 5321 §4.5.5). */
    public static final MailPath NULL = new MailPath("", null);

    /** True for {@code <>}. */
    public boolean isNull() {
        return localPart.isEmpty() && domain == null;
    }

    /** True for the domain-less {@code <Postmaster>} recipient that RFC 5321 §4.5.1 requires. */
    public boolean isPostmaster() {
        return domain == null && localPart.toLowerCase(Locale.ROOT).equals("postmaster");
    }

    /** The mailbox as {@code local@domain}, or the local part alone when there is no domain. */
    public String address() {
        return domain == null ? localPart : localPart + "@" + domain;
    }

    /** True if any character is outside ASCII: such a path needs SMTPUTF8 (RFC 6531 §3.4). */
    public boolean isInternationalized() {
        return !isAscii(localPart) || (domain != null && !isAscii(domain));
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** The path in angle brackets, as on the wire: {@code <user@example.org>}. */
    @Override
    public String toString() {
        return "<" + address() + ">";
    }
}
