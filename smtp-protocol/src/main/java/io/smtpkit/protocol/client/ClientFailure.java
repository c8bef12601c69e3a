package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.util.Objects;

/**
 * Why a session or transaction ended other than by the server's verdicts (the status codes of the
 * hint replies are RFC 3463's): the server broke the
 * protocol, went away, timed out, or the client refused to go on (the message needs an extension
 * the server lacks; TLS or AUTH could not be had as configured).
 *
 * @param kind what happened
 * @param reply what a relay should answer its own client for the mail concerned, e.g.
 *     {@code 451 4.4.2} for a lost connection or {@code 553 5.6.7} for SMTPUTF8 (RFC 6531 §3.2)
 * @param serverReply the server's reply that caused it, or {@code null} when there was none
 * @param detail a sentence for the log; never holds credentials
 */
public record ClientFailure(Kind kind, Reply reply, Reply serverReply, String detail) {

    /** What went wrong. */
    public enum Kind {
        /** The server sent something that is not a reply, or a reply where none fits. */
        PROTOCOL_ERROR,
        /** The connection ended before the conversation did. */
        CONNECTION_LOST,
        /** A {@link Wait} ran out ({@link ClientSession#timeout()}). */
        TIMEOUT,
        /** The server answered 421 (RFC 5321 §3.8): it is closing the connection. */
        SERVICE_CLOSING,
        /** The greeting was not 220 (a 554, RFC 5321 §3.1). */
        GREETING_REFUSED,
        /** EHLO and HELO (or LHLO) were refused. */
        HELLO_REFUSED,
        /** TLS is {@linkplain ClientConfig.Tls#REQUIRED required} and STARTTLS was not offered or was refused. */
        TLS_UNAVAILABLE,
        /** The TLS handshake failed ({@link ClientSession#tlsStarted(boolean) tlsStarted(false)}). */
        TLS_FAILED,
        /** AUTH is configured and the server offers neither PLAIN nor LOGIN, or not over TLS while insecure AUTH is off. */
        AUTH_UNAVAILABLE,
        /** The server refused the credentials (RFC 4954 §6). */
        AUTH_FAILED,
        /** The message needs SMTPUTF8 and the server does not offer it (RFC 6531 §3.2). */
        NEEDS_SMTPUTF8,
        /** The message is 8BITMIME and the server does not offer it (RFC 6152 §3). */
        NEEDS_8BITMIME,
        /** The message is BINARYMIME and the server does not offer BINARYMIME with CHUNKING (RFC 3030 §3). */
        NEEDS_BINARYMIME,
        /** The message is larger than the server's SIZE (RFC 1870 §4). */
        TOO_BIG
    }

    /** Checks the parts that must be there. */
    public ClientFailure {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(detail, "detail");
    }

    /** True when the failure is temporary for the mail concerned (its reply is 4xx): try again later. */
    public boolean isTransient() {
        return reply.isTransient();
    }

    /** True for refusals the client made itself, before sending the transaction. */
    public boolean isLocal() {
        return switch (kind) {
            case NEEDS_SMTPUTF8, NEEDS_8BITMIME, NEEDS_BINARYMIME, TOO_BIG -> true;
            default -> false;
        };
    }
}
