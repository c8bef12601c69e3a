package io.smtpkit.protocol;

/**
 * A read-only view of a session for handlers and extensions (what smtpd's SMTPChannel exposes
 * as {@code seen_greeting}, {@code mailfrom}, {@code rcpttos} and so on).
 */
public interface SessionInfo {

    /** Where the session stands now. */
    SessionState state();

    /** The name given in HELO/EHLO, or {@code null} before it (and again after STARTTLS). */
    String heloName();

    /** True if the client greeted with EHLO. */
    boolean isExtended();

    /** True once TLS is active on the connection. */
    boolean isSecure();

    /** The authenticated user, or {@code null} when the client has not authenticated. */
    String authenticatedUser();

    /** The reverse path of the open transaction, or {@code null} when none is open. */
    MailPath reversePath();

    /** The recipients accepted so far in the open transaction. */
    java.util.List<MailPath> recipients();

    /** The configuration the session runs with. */
    SessionConfig config();
}
