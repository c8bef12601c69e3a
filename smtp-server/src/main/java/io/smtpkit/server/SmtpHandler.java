package io.smtpkit.server;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What a server does with mail: Python smtpd's {@code process_message}, grown up.
 *
 * <p>The simple case is one method. A handler that stores every message is a lambda:
 * <pre>{@code
 * SmtpHandler handler = (session, envelope, message) -> {
 *     Files.write(dir.resolve(session.id() + ".eml"), message.bytes());
 *     return null; // 250 OK
 * };
 * }</pre>
 *
 * <p>The other hooks let a handler refuse earlier: a client, a greeting, a sender or one
 * recipient. Each hook returns {@code null} for the default answer or a {@link Reply} to send
 * instead; a 4xx/5xx reply refuses what was asked. A hook that throws is answered with
 * {@link Reply#LOCAL_ERROR} ({@code 451 4.3.0}) and logged; the server goes on.
 *
 * <p>Hooks may block (write files, call other servers): the server never runs them on its I/O
 * thread, and while a hook of a session runs, that session reads nothing more. Hooks of
 * different sessions run concurrently, so a handler must be thread-safe.
 */
@FunctionalInterface
public interface SmtpHandler {

    /**
     * A whole message arrived. Answer only when it is safely stored or passed on: a {@code 250}
     * tells the client the message is now the server's responsibility (RFC 5321 §4.1.1.4).
     *
     * @param session the connection it arrived on
     * @param envelope the sender, the accepted recipients and their parameters
     * @param message the content, with the server's {@code Received:} header first; valid only
     *     until this method returns
     * @return {@code null} for {@code 250 2.0.0 OK}, or the reply to send
     * @throws Exception to answer {@code 451 4.3.0}; the client may retry later
     */
    Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception;

    /**
     * A whole message arrived, to be answered recipient by recipient. Under LMTP
     * ({@link io.smtpkit.protocol.SessionConfig#lmtp()}) the client gets one reply per accepted
     * recipient after the data (RFC 2033 §4.2), so a final delivery agent can say that one
     * mailbox is full while the others took the message. The default calls
     * {@link #onMessage} and gives its one answer to every recipient (its exception to each as
     * {@code 451 4.3.0}), so a handler that does not care needs nothing more.
     *
     * <p>Under SMTP one reply answers the whole message (RFC 5321 §4.1.1.4): the client gets the
     * first reply if every recipient was accepted, otherwise the first temporary refusal, or
     * else the first permanent one, so it keeps the responsibility for a message some recipient
     * refused (see {@link io.smtpkit.protocol.SmtpSession#resumePerRecipient}).
     *
     * @param session the connection it arrived on
     * @param envelope the sender and the accepted recipients; a recipient given twice is there twice
     * @param message the content, with the server's {@code Received:} header first; valid only
     *     until this method returns
     * @return one reply per entry of {@code envelope.recipients()}, in that order; a {@code null}
     *     entry, or a {@code null} list, is {@code 250 2.0.0 OK}; a list of another size is a
     *     handler bug, logged and answered {@code 451 4.3.0} for each recipient
     * @throws Exception to answer {@code 451 4.3.0} for each recipient; the client may retry later
     */
    default List<Reply> onMessagePerRecipient(SessionContext session, Envelope envelope, Message message)
            throws Exception {
        return Collections.nCopies(envelope.recipients().size(), onMessage(session, envelope, message));
    }

    /** A client connected. Return a 4xx/5xx reply to turn it away (RFC 5321 §3.1). */
    default Reply onConnect(SessionContext session) throws Exception {
        return null;
    }

    /**
     * HELO or EHLO. Return a 4xx/5xx reply to refuse the greeting. Any 2xx reply accepts it, but
     * the client still gets the session's own reply, because only the session knows which
     * extension keywords an EHLO reply must list.
     */
    default Reply onHello(SessionContext session, String domain, boolean extended) throws Exception {
        return null;
    }

    /** MAIL FROM. Return a 4xx/5xx reply to refuse the sender. */
    default Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) throws Exception {
        return null;
    }

    /**
     * RCPT TO. Return a 4xx/5xx reply to refuse this recipient, for example
     * {@link Reply#MAILBOX_UNAVAILABLE} or {@link Reply#RELAY_DENIED}.
     */
    default Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) throws Exception {
        return null;
    }

    /** The connection closed, for whatever reason. Release what the handler kept for it. */
    default void onClose(SessionContext session) {
    }

    /**
     * A promise, made by a handler that also implements this interface, that its hooks return
     * at once: no I/O, no waiting on locks or other threads, no heavy computation. The server
     * then calls {@code onConnect}, {@code onHello}, {@code onMail}, {@code onRcpt} and
     * {@code onMessage} (for content held in memory) on the event loop serving the connection
     * instead of handing them to the executor, which saves two thread hand-offs per hook: on
     * loopback about a fifth of a one-connection transaction's time. With several
     * {@linkplain SmtpServer.Builder#loops(int) loops} the hooks run on several loop threads at
     * once, so they must be thread-safe, as for the executor. A hook that breaks the promise
     * stalls every connection of its loop while it runs, so leave this off when in doubt.
     * {@code onClose} and spooled messages always go to the executor.
     */
    interface NonBlocking {
    }
}
