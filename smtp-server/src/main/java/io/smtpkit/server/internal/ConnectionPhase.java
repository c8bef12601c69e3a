package io.smtpkit.server.internal;

/**
 * Where a {@link Connection} is in its life, apart from the SMTP state its session keeps. Every
 * connection moves down this list, skipping steps: plain ones start at {@link #OPEN}, and only
 * STARTTLS leads back up from {@link #OPEN} to {@link #TLS_REQUESTED}.
 */
enum ConnectionPhase {
    /** Implicit TLS (RFC 8314): the handshake comes before the greeting. */
    TLS_HANDSHAKE_BEFORE_SESSION,
    /** The session runs: input is read and fed to it. */
    OPEN,
    /** STARTTLS was accepted: its 220 goes out first; what the client pipelined after it is dropped. */
    TLS_REQUESTED,
    /** The STARTTLS handshake (RFC 3207 §4.2): no SMTP until it is done. */
    TLS_HANDSHAKE,
    /** The session ended or TLS closed: the last replies are flushed, within the linger time. */
    CLOSING,
    /** The socket is closed and the connection forgotten by the loop. */
    CLOSED;

    /** True before the session has begun or while TLS is being set up under it: no SMTP input counts. */
    boolean settingUpTls() {
        return this == TLS_HANDSHAKE_BEFORE_SESSION || this == TLS_REQUESTED || this == TLS_HANDSHAKE;
    }
}
