package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;

/**
 * What a {@link ClientSession} tells its transport, from {@link ClientSession#next()}, in the
 * manner of h11's events: each one is acted on, then {@code next()} is asked again, until it
 * answers {@link NeedData} (read from the server) or {@link Paused} (nothing to do until the
 * caller acts). Output to write is separate, and ordered with the events: a transport loops
 *
 * <pre>{@code
 * for (;;) {
 *     write(session.takeOutput());          // one gathering write
 *     ClientEvent event = session.next();
 *     if (event instanceof ClientEvent.NeedData || event instanceof ClientEvent.Paused) break;
 *     act(event);                           // send, handshake, content, record, close
 * }
 * }</pre>
 */
public sealed interface ClientEvent {

    /** The session waits for the server: read more bytes and {@linkplain ClientSession#receive feed} them. */
    enum NeedData implements ClientEvent { INSTANCE }

    /** The session waits for its caller (a transaction, content, the TLS handshake), or is closed. */
    enum Paused implements ClientEvent { INSTANCE }

    /**
     * The session is greeted, has said hello, and has done STARTTLS and AUTH as configured: it
     * takes a transaction ({@link ClientSession#send(Transaction)}) or {@link ClientSession#quit()}.
     * Comes again after each transaction while the connection can be reused.
     *
     * @param capabilities what the server offers in this (possibly TLS) session
     */
    record Ready(Capabilities capabilities) implements ClientEvent {}

    /**
     * The server accepted STARTTLS: write the pending output, do the TLS handshake on the
     * connection, then call {@link ClientSession#tlsStarted(boolean)}. Bytes read after the 220
     * and before the handshake are plaintext an attacker may have put there: the session has
     * dropped them; drop any the transport holds too (RFC 3207 §4.2).
     */
    record StartTls() implements ClientEvent {}

    /**
     * The server takes content: call {@link ClientSession#content(java.nio.ByteBuffer)} as often
     * as needed, then {@link ClientSession#endContent()}. With BDAT and no PIPELINING this comes
     * again after each chunk's reply: send one chunk per event.
     */
    record SendContent() implements ClientEvent {}

    /**
     * In a stepwise transaction ({@link ClientSession#mail(Transaction)}), the server's reply to
     * MAIL or to the latest {@link ClientSession#rcpt(Transaction.Recipient) RCPT}, or the local
     * refusal of MAIL: what a relay answers its own client for that command.
     *
     * @param reply the reply, code and enhanced code as the server gave them
     */
    record Replied(Reply reply) implements ClientEvent {}

    /**
     * A transaction is over.
     *
     * @param result per recipient what the server said
     */
    record Delivered(TransactionResult result) implements ClientEvent {}

    /**
     * The session is over: write the pending output, then close the connection.
     *
     * @param failure why, or {@code null} after QUIT and its reply
     */
    record Closed(ClientFailure failure) implements ClientEvent {}
}
