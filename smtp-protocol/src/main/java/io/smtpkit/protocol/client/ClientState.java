package io.smtpkit.protocol.client;

/** Where a {@link ClientSession} stands. */
public enum ClientState {
    /** Connected, waiting for the server's 220 (RFC 5321 §3.1). */
    GREETING,
    /** EHLO, HELO or LHLO sent (RFC 5321 §4.1.1.1, RFC 2033 §4.1). */
    HELLO,
    /** STARTTLS sent, waiting for its 220 (RFC 3207 §4). */
    STARTTLS,
    /** The transport is doing the TLS handshake; the session waits for {@link ClientSession#tlsStarted(boolean)}. */
    TLS_HANDSHAKE,
    /** AUTH exchange under way (RFC 4954 §4). */
    AUTH,
    /** Ready for a transaction ({@link ClientSession#send(Transaction)}) or {@link ClientSession#quit()}. */
    READY,
    /** MAIL, RCPT and DATA (or the first BDAT) sent, replies outstanding. */
    ENVELOPE,
    /** The server takes content: {@link ClientSession#content(java.nio.ByteBuffer)}, then {@link ClientSession#endContent()}. */
    CONTENT,
    /** Content ended, the final reply (or LMTP's per-recipient replies) outstanding. */
    END_OF_DATA,
    /** RSET sent after a transaction that did not end with the content (RFC 5321 §4.1.1.5). */
    RESET,
    /** QUIT sent (RFC 5321 §4.1.1.10). */
    QUIT,
    /** Over: the transport closes the connection once the output is written. */
    CLOSED
}
