package io.smtpkit.protocol;

import java.util.List;
import java.util.Map;

/**
 * A question the session asks its owner (the transport, and through it the handler) before it
 * can answer the client. After asking, the session is paused: it reads no input until
 * {@link SmtpSession#resume(Reply)} gives the answer, which may come later and from another
 * thread (see {@link SmtpSession} for the threading rule). Answering {@code null} always means
 * "the default", given with each kind below. Any answer with code 421 is sent and then closes the
 * session (RFC 5321 §3.8: 421 announces that the server closes the channel).
 */
public sealed interface Decision {

    /** A client connected. Default: the {@code 220} greeting. A 4xx/5xx reply refuses the client. */
    record Connect() implements Decision {}

    /**
     * HELO or EHLO (RFC 5321 §4.1.1.1), or LHLO under {@link SessionConfig#lmtp()}. Default:
     * {@code 250} with the hostname, and for EHLO (and LHLO) the extension keywords. A 4xx/5xx
     * reply refuses the greeting; the client may try again,
     * and an open mail transaction stays as it was. A 5xx counts as a client error (see
     * {@link SessionConfig#maxErrors()}).
     *
     * <p>Any other answer (2xx or 3xx) accepts the greeting and is <em>not sent</em>: the client
     * always gets the default reply. The session owns that reply because the EHLO keyword list
     * (RFC 5321 §4.1.1.1, §2.2.2) depends on its configuration and on whether TLS is active,
     * which the handler cannot know; a handler's own text would drop the keywords, and with them
     * SIZE, STARTTLS and AUTH. An accepted greeting in the middle of a transaction resets it, as
     * RSET would (RFC 5321 §4.1.4).
     *
     * @param domain the name the client gave, as sent: one word without controls (UTF-8 only
     *     with SMTPUTF8, RFC 6531 §3.7.1), not checked against the Domain / address-literal
     *     grammar of RFC 5321 §4.1.1.1. Like Postfix without {@code reject_invalid_helo_hostname},
     *     the session accepts what real clients send ({@code [127.0.0.1]}, {@code localhost},
     *     Windows names such as {@code my_host}, bare IP addresses); a handler that wants to be
     *     strict refuses here
     * @param extended true for EHLO, and for LMTP's LHLO, which is answered as EHLO is (RFC 2033 §4.1)
     */
    record Hello(String domain, boolean extended) implements Decision {}

    /**
     * MAIL FROM (RFC 5321 §4.1.1.2), already checked for syntax, size and parameters.
     * Default: {@code 250 2.1.0 OK}. A 4xx/5xx reply refuses the sender; a 5xx counts as a
     * client error (see {@link SessionConfig#maxErrors()}).
     *
     * @param reversePath the sender, {@link Path#NULL} for a bounce
     * @param parameters ESMTP parameters, keyword upper-cased, value {@code null} when absent;
     *     {@code AUTH} is {@code <>} unless the client has authenticated (RFC 4954 §5)
     */
    record Mail(MailPath reversePath, Map<String, String> parameters) implements Decision {
        public Mail {
            parameters = ParameterMaps.copy(parameters);
        }
    }

    /**
     * RCPT TO (RFC 5321 §4.1.1.3), already checked for syntax and the recipient limit.
     * Default: {@code 250 2.1.5 OK}. A 4xx/5xx reply refuses this recipient only; a 5xx counts
     * as a client error (see {@link SessionConfig#maxErrors()}), so past the limit the client,
     * not just the recipient, is refused with {@code 421}: recipient validation cannot be used
     * to harvest addresses.
     *
     * @param recipient the forward path
     * @param parameters ESMTP parameters, keyword upper-cased
     */
    record Rcpt(MailPath recipient, Map<String, String> parameters) implements Decision {
        public Rcpt {
            parameters = ParameterMaps.copy(parameters);
        }
    }

    /**
     * The whole message has arrived (after DATA's final dot, or the last BDAT chunk). Every
     * content byte was already handed to {@link SessionOutput#content}. Default:
     * {@code 250 2.0.0 OK}, which tells the client the message is now the server's
     * responsibility (RFC 5321 §4.1.1.4), so answer only once it is safely stored or passed on.
     *
     * <p>One answer ({@link SmtpSession#resume(Reply)}) speaks for every recipient: under LMTP it
     * is sent once per accepted recipient (RFC 2033 §4.2). To say how each recipient fared, answer
     * with {@link SmtpSession#resumePerRecipient(List)}: one reply per entry of
     * {@code envelope.recipients()}, in that order, duplicates included. Under SMTP, where one reply
     * answers the whole message, the session picks one of them (see there).
     *
     * @param envelope the transaction's envelope
     * @param size the number of content octets (after dot-unstuffing)
     */
    record Message(Envelope envelope, long size) implements Decision {}

    /**
     * The client sent credentials (RFC 4954). Default: {@link Reply#AUTHENTICATION_FAILED};
     * answer {@link Reply#AUTHENTICATION_SUCCEEDED} to accept. Any 2xx answer accepts and is sent
     * as given, so make it a 235 (RFC 4954 §4); any other answer refuses and counts as a client
     * error (see {@link SessionConfig#maxErrors()}).
     *
     * @param mechanism the SASL mechanism, upper-case ({@code PLAIN} or {@code LOGIN})
     * @param authorizationId the identity to act as, empty when the client gave none
     * @param username the authentication identity, never empty (an empty one is refused with 501)
     * @param password the password; never log it
     */
    record Authenticate(String mechanism, String authorizationId, String username, String password)
            implements Decision {
        /** Keeps the password out of logs and exception messages. */
        @Override
        public String toString() {
            return "Authenticate[mechanism=" + mechanism + ", authorizationId=" + authorizationId
                    + ", username=" + username + ", password=***]";
        }
    }
}
