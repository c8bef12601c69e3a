package io.smtpkit.server;

import io.smtpkit.protocol.SessionInfo;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLSession;

/**
 * One client connection as a handler sees it: who it is, what it said so far and how it is
 * protected. Read-only.
 */
public interface SessionContext {

    /** A short id unique within this server run; it appears on every log line of the session. */
    String id();

    /** The client's address (smtpd's {@code peer}). */
    InetSocketAddress remoteAddress();

    /** The server address the client connected to. */
    InetSocketAddress localAddress();

    /** The protocol state: HELO name, TLS, authenticated user, the open transaction. */
    SessionInfo protocol();

    /** The TLS session once TLS is active (cipher, protocol, peer certificates), else {@code null}. */
    SSLSession tlsSession();

    /** The authenticated user, or {@code null}. */
    default String authenticatedUser() {
        return protocol().authenticatedUser();
    }

    /** The HELO/EHLO name, or {@code null} before the greeting. */
    default String heloName() {
        return protocol().heloName();
    }
}
