package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Reply;

/**
 * One AUTH exchange (RFC 4954 §4) with PLAIN (RFC 4616) or LOGIN: turns the client's responses
 * into challenges, a refusal, or the credentials to ask the owner about. The session sends what
 * it says; this holds only what the mechanism has heard so far.
 */
public final class SaslExchange {

    private final String mechanism;
    private String username; // LOGIN's first response

    private SaslExchange(String mechanism) {
        this.mechanism = mechanism;
    }

    /** An exchange for {@code mechanism} (any case), or {@code null} when it is not PLAIN or LOGIN. */
    public static SaslExchange start(String mechanism) {
        String name = Ascii.upper(mechanism);
        return name.equals("PLAIN") || name.equals("LOGIN") ? new SaslExchange(name) : null;
    }

    /** The challenge when AUTH came without an initial response. */
    public Reply firstChallenge() {
        return Replies.challenge(mechanism.equals("PLAIN") ? "" : Sasl.LOGIN_USERNAME_CHALLENGE);
    }

    /** The outcome of one client response: exactly one of the three is set. */
    public record Step(Reply challenge, Reply refusal, Decision.Authenticate credentials) {}

    /** Takes one base64 response line (or {@code *}, which cancels: RFC 4954 §4). */
    public Step respond(String response) {
        if (response.equals("*")) {
            return new Step(null, Replies.AUTH_CANCELLED, null);
        }
        String decoded = Sasl.decode(response.strip());
        if (decoded == null) {
            return new Step(null, Replies.AUTH_UNDECODABLE, null);
        }
        if (mechanism.equals("PLAIN")) {
            Sasl.PlainCredentials c = Sasl.plain(decoded);
            return c == null
                    ? new Step(null, Replies.AUTH_UNDECODABLE, null)
                    : new Step(null, null, new Decision.Authenticate("PLAIN", c.authorizationId(), c.username(), c.password()));
        }
        if (username == null) {
            if (decoded.isEmpty()) {
                // As PLAIN refuses an empty authcid (RFC 4616 §2, Sasl.plain): an authenticator
                // must never be asked about a user without a name.
                return new Step(null, Replies.AUTH_UNDECODABLE, null);
            }
            username = decoded;
            return new Step(Replies.challenge(Sasl.LOGIN_PASSWORD_CHALLENGE), null, null);
        }
        return new Step(null, null, new Decision.Authenticate("LOGIN", "", username, decoded));
    }
}
