package io.smtpkit.server;

import io.smtpkit.protocol.Reply;
import javax.net.ssl.SSLSession;

/**
 * Watches, and may shape, the traffic of each connection at the SMTP level: the seam for
 * transcripts, metrics and fault injection (smtp-testkit's scripted disconnects, stalls and
 * slow reads go through it). Registered with {@link SmtpServer.Builder#tap(ConnectionTap)}.
 *
 * <p>Every method runs on the event loop that serves the connection, so it must return at once:
 * no I/O, no locks held for long. With several {@linkplain SmtpServer.Builder#loops(int) loops},
 * listeners of different connections are called from different threads at once (one connection's
 * always from the same thread): state shared between connections needs to be thread-safe. To slow a connection down, return {@link TapAction#delay}
 * rather than sleeping. A tap that throws is logged and treated as {@link TapAction#proceed()}.
 */
@FunctionalInterface
public interface ConnectionTap {

    /**
     * A client connected; called once, before the handler's {@code onConnect} and the greeting.
     *
     * @return the listener for this connection, or {@code null} to leave it untapped
     */
    Listener open(SessionContext session);

    /** What one connection's tap hears. Each method has a default that only listens. */
    interface Listener {

        /**
         * Before the greeting is sent. {@link TapAction#disconnect()} closes without a word,
         * {@link TapAction#delay} sends it later, {@link TapAction#stall()} never sends it.
         */
        default TapAction connected() {
            return TapAction.proceed();
        }

        /**
         * A command line arrived and is about to reach the session.
         *
         * @param line the line without its CRLF; the credentials of AUTH and of the lines of a SASL
         *     exchange are replaced by {@code ****} (e.g. {@code AUTH PLAIN ****}), never given in clear
         * @param pipelined {@code true} when the line arrived before the reply to an earlier
         *     command was sent (RFC 2920)
         * @return {@link TapAction#refuse} to answer it without the session seeing it (a 421 then
         *     closes the connection), or any other action to apply before the session reads it
         */
        default TapAction command(String line, boolean pipelined) {
            return TapAction.proceed();
        }

        /** A reply, as the session or handler decided it, is about to be written. */
        default void reply(Reply reply) {
        }

        /**
         * How many octets of message content (DATA or BDAT, as sent, dot-stuffing and the final
         * dot included) of the current transaction may reach the session before
         * {@link #contentLimitReached(long)} is asked what to do. Asked when a transaction's
         * content begins; {@link Long#MAX_VALUE} (the default) means no limit.
         */
        default long contentLimit() {
            return Long.MAX_VALUE;
        }

        /**
         * The content limit was reached: exactly {@code octets} of content reached the session
         * and no more will until this returns. {@link TapAction#disconnect()} cuts the connection in
         * the middle of the message (which is then not delivered); {@link TapAction#proceed()} lets
         * the rest through.
         */
        default TapAction contentLimitReached(long octets) {
            return TapAction.proceed();
        }

        /** TLS became active on the connection (STARTTLS completed, or an implicit-TLS listener). */
        default void tlsStarted(SSLSession session) {
        }

        /** The connection closed, for whatever reason; the last call this listener gets. */
        default void closed() {
        }
    }
}
