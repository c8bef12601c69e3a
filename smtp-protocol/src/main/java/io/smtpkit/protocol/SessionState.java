package io.smtpkit.protocol;

/**
 * Where an SMTP session stands (RFC 5321 §3, §4.1.4). The states a client moves through are
 * {@code CONNECTED → GREETED → MAIL → RCPT → DATA or BDAT → GREETED …}; {@code AUTH} and
 * {@code TLS} are side trips, and {@code CLOSED} is final.
 */
public enum SessionState {
    /** Connected; no HELO/EHLO yet (or TLS just started and the client must greet again). */
    CONNECTED,
    /** HELO/EHLO done, no mail transaction open. */
    GREETED,
    /** MAIL accepted; no recipient accepted yet. */
    MAIL,
    /** At least one recipient accepted. */
    RCPT,
    /** Reading message content after DATA's 354. */
    DATA,
    /** Inside a CHUNKING transaction (RFC 3030): reading chunk octets or waiting for the next BDAT. */
    BDAT,
    /** In the middle of a SASL exchange (RFC 4954): client lines are responses, not commands. */
    AUTH,
    /** STARTTLS accepted; waiting for the transport to finish the TLS handshake. */
    TLS,
    /** QUIT, a 421 or a fatal error: the session takes no more input. */
    CLOSED
}
