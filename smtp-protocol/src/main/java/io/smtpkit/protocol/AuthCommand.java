package io.smtpkit.protocol;

import static io.smtpkit.protocol.internal.Replies.*;

import io.smtpkit.protocol.internal.Extension;
import io.smtpkit.protocol.internal.SaslExchange;

/**
 * AUTH (RFC 4954) for one {@link SmtpSession}: starts a {@link SaslExchange}, relays its
 * challenges, asks {@link Decision.Authenticate} and keeps who authenticated; the session routes
 * lines here while its state is {@link SessionState#AUTH}.
 */
final class AuthCommand {

    private final SmtpSession session;
    private SaslExchange sasl; // while the state is AUTH
    private String user;

    AuthCommand(SmtpSession session) {
        this.session = session;
    }

    /** The authenticated user, or {@code null}. */
    String user() {
        return user;
    }

    /** Whether AUTH is offered now (RFC 4954 §5: without TLS only when allowed). */
    boolean offered() {
        return Extension.AUTH.offered(session.config(), session.isSecure());
    }

    void auth(String argument) {
        if (!offered()) {
            session.refuse(ENCRYPTION_REQUIRED);
            return;
        }
        if (user != null) {
            session.refuse(ALREADY_AUTHENTICATED);
            return;
        }
        String[] words = argument.strip().split(" +");
        if (words[0].isEmpty() || words.length > 2) {
            session.refuseSyntax(Verb.AUTH);
            return;
        }
        SaslExchange exchange = SaslExchange.start(words[0]);
        if (exchange == null) {
            session.refuse(UNKNOWN_MECHANISM);
            return;
        }
        sasl = exchange;
        session.enter(Verb.AUTH);
        if (words.length == 1) {
            session.send(exchange.firstChallenge());
        } else {
            respond(words[1]);
        }
    }

    /** One line of the exchange: a response to the last challenge (RFC 4954 §4). */
    void respond(String response) {
        SaslExchange.Step step = sasl.respond(response);
        if (step.challenge() != null) {
            session.send(step.challenge());
        } else if (step.refusal() != null) {
            end();
            session.refuse(step.refusal());
        } else {
            session.ask(step.credentials(), (s, credentials, reply) -> s.auth.decided(credentials, reply));
        }
    }

    private void decided(Decision.Authenticate authenticate, Reply reply) {
        end();
        if (reply != null && reply.code() / 100 == 2) {
            user = authenticate.username();
            session.send(reply);
        } else {
            session.refuse(reply != null ? reply : Reply.AUTHENTICATION_FAILED);
        }
    }

    /** Ends the exchange, answered or not: the session is back to GREETED. */
    void end() {
        sasl = null;
        session.authEnded();
    }

    /** TLS started (RFC 3207 §4.2): the authentication is forgotten. */
    void forget() {
        user = null;
    }
}
