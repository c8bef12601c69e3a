package io.smtpkit.protocol;

import java.nio.ByteBuffer;

/**
 * Where an {@link SmtpSession} sends what it produces. The transport implements it; tests
 * implement it to record a transcript. The session calls these methods only from inside its own
 * methods ({@code start}, {@code receive}, {@code resume}, …), on the caller's thread, and none of
 * them may call back into the session.
 *
 * <p>Decisions are not pushed here: the transport pulls them. After each call into the session it
 * looks at {@link SmtpSession#awaiting()}; while that is non-null the session is paused, and the
 * transport answers with {@link SmtpSession#resume(Reply)} (at once or later, from another
 * thread), then feeds the rest of its input again. One way to learn of a decision keeps a
 * transport from answering it twice.
 */
public interface SessionOutput {

    /**
     * Reply bytes to send, CRLF-terminated, possibly several replies at once. The array may be
     * kept but never changed: the encoding of a constant reply is shared by every session. A transport should gather what one {@code receive} call produced and
     * write it once, so each reply (a multi-line EHLO too) leaves in one write.
     */
    void send(byte[] reply);

    /**
     * Message content, already dot-unstuffed, in order. The buffer is only valid during this
     * call (it may be a view of the transport's own input buffer): copy or write out what you
     * need before returning, and do not change its contents.
     */
    void content(ByteBuffer chunk);

    /**
     * The content handed out since the last message (or since the transaction began) will not
     * become a message: it was too big, the client reset or left, or the policy refused it.
     * Forget it.
     */
    void discardContent();

    /**
     * The session accepted STARTTLS and sent its {@code 220}. Send pending replies, then start
     * the TLS handshake, then call {@link SmtpSession#tlsStarted(boolean)}. Bytes already
     * received were discarded by the session (RFC 3207 §4.2), so do not feed the session the
     * plaintext that was buffered behind the command.
     */
    void startTls();

    /** Send pending replies, then close the connection. The session takes no more input. */
    void close();
}
