package io.smtpkit.protocol;

/**
 * What the session does with a bare LF (an LF not preceded by CR) or a bare CR (RFC 5321
 * §2.3.8: both are forbidden outside CRLF).
 *
 * <p>Whatever the policy, the end of message content is recognised only on CRLF.CRLF, so a
 * message can never be cut short by {@code LF.LF} or {@code CR.CR} (the SMTP smuggling attacks
 * CVE-2023-51764/51765/51766).
 */
public enum BareLineEndings {
    /**
     * Postfix's default since 3.9 ({@code smtpd_forbid_bare_newline = normalize}): a command line
     * may end in a bare LF, and a content line ending in a bare LF is stored as if it ended in
     * CRLF. A bare CR stays an ordinary content byte.
     */
    NORMALIZE,
    /**
     * Strict RFC 5321 §2.3.8: a command line ending in a bare LF is refused with {@code 500 5.5.2};
     * a message containing a bare LF or bare CR is read to its end and then refused with
     * {@code 550 5.6.0}, and nothing of it is delivered.
     */
    REJECT
}
