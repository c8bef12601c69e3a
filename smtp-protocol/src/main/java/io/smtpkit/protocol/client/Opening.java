package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A {@link ClientSession}'s way to {@link ClientState#READY}: the greeting (RFC 5321 §3.1), EHLO,
 * HELO when EHLO gets a 5xx, or LHLO (RFC 2033 §4.1), STARTTLS as configured (RFC 3207), AUTH
 * PLAIN or LOGIN (RFC 4954 §4, RFC 4616); keeps what they established (capabilities, TLS, AUTH).
 */
final class Opening {

    private final ClientSession session;
    private final ClientOutput out;
    private final ClientConfig config;
    private Capabilities capabilities = Capabilities.NONE;
    private boolean secure;
    private boolean tlsRefused;
    private boolean authenticated;
    private boolean authPlain;
    private int authStep;

    Opening(ClientSession session, ClientOutput out, ClientConfig config) {
        this.session = session;
        this.out = out;
        this.config = config;
    }

    Capabilities capabilities() {
        return capabilities;
    }

    boolean secure() {
        return secure;
    }

    boolean authenticated() {
        return authenticated;
    }

    /** Implicit TLS (RFC 8314 §3): no STARTTLS, and AUTH is allowed. */
    void startSecure() {
        secure = true;
    }

    /** RFC 3207 §4.2: after the handshake what was learnt in clear is forgotten; hello again. */
    void tlsStarted() {
        secure = true;
        capabilities = Capabilities.NONE;
        session.enter(ClientState.HELLO);
        hello(false);
    }

    void onGreeting(Reply r, int kind) {
        if (kind == 2) {
            session.enter(ClientState.HELLO);
            hello(false);
        } else if (refused(kind)) {
            session.politeFail(ClientFailure.Kind.GREETING_REFUSED, Reply.of(451, "4.4.0", "The next hop refused the session"),
                    "the greeting was " + r, r);
        } else {
            session.unexpected(Outstanding.GREETING, r);
        }
    }

    /** The reply to EHLO (or LHLO) or HELO: {@code hello} says which. */
    void onHello(Reply r, int kind, Outstanding hello) {
        boolean ehlo = hello == Outstanding.EHLO;
        if (kind == 2) {
            capabilities = ehlo ? Capabilities.fromEhlo(r) : Capabilities.NONE;
            afterHello();
        } else if (ehlo && kind == 5 && !config.lmtp()) {
            hello(true); // RFC 5321 §3.2: a server that does not know EHLO still knows HELO
        } else if (refused(kind)) {
            session.politeFail(ClientFailure.Kind.HELLO_REFUSED, Reply.of(451, "4.4.0", "The next hop refused the session"),
                    "the hello was refused: " + r, r);
        } else {
            session.unexpected(hello, r);
        }
    }

    void onStartTls(Reply r, int kind) {
        if (kind == 2) {
            session.enter(ClientState.TLS_HANDSHAKE);
            out.emit(new ClientEvent.StartTls());
        } else if (refused(kind) && config.tls() == ClientConfig.Tls.REQUIRED) {
            session.politeFail(ClientFailure.Kind.TLS_UNAVAILABLE, Reply.of(451, "4.7.5", "TLS to the next hop is required and was refused"),
                    "STARTTLS was refused: " + r, r);
        } else if (refused(kind)) {
            tlsRefused = true; // opportunistic: go on in clear with what EHLO offered
            afterHello();
        } else {
            session.unexpected(Outstanding.STARTTLS, r);
        }
    }

    void onAuth(Reply r, int kind) {
        if (kind == 2) {
            authenticated = true;
            session.ready();
        } else if (r.code() == 334) {
            // LOGIN asks for the user name, then the password. Anything more, or a challenge to
            // PLAIN's initial response, is cancelled with "*" (RFC 4954 §4); the server's 501 follows.
            String answer;
            if (authPlain || authStep >= 2) {
                answer = "*";
            } else {
                answer = base64(authStep == 0 ? config.user() : config.password());
            }
            authStep++;
            out.command(answer, Outstanding.AUTH);
        } else if (refused(kind)) {
            session.politeFail(ClientFailure.Kind.AUTH_FAILED, Reply.of(451, "4.7.0", "Authentication to the next hop failed"),
                    "AUTH was refused: " + r, r);
        } else {
            session.unexpected(Outstanding.AUTH, r);
        }
    }

    private static boolean refused(int kind) {
        return kind == 4 || kind == 5;
    }

    private void hello(boolean helo) {
        if (config.lmtp()) {
            out.command("LHLO " + config.heloName(), Outstanding.EHLO);
        } else {
            out.command((helo ? "HELO " : "EHLO ") + config.heloName(), helo ? Outstanding.HELO : Outstanding.EHLO);
        }
    }

    private void afterHello() {
        if (!secure && !tlsRefused && config.tls() != ClientConfig.Tls.OFF && capabilities.startTls()) {
            session.enter(ClientState.STARTTLS);
            out.command("STARTTLS", Outstanding.STARTTLS);
            return;
        }
        if (!secure && config.tls() == ClientConfig.Tls.REQUIRED) {
            session.politeFail(ClientFailure.Kind.TLS_UNAVAILABLE, Reply.of(451, "4.7.10", "TLS to the next hop is required and not offered"),
                    "the server does not offer STARTTLS", null);
            return;
        }
        if (config.authenticates() && !authenticated) {
            authenticate();
            return;
        }
        session.ready();
    }

    private void authenticate() {
        Reply unavailable = Reply.of(451, "4.7.0", "Authentication to the next hop is not possible");
        if (!secure && !config.allowInsecureAuth()) {
            session.politeFail(ClientFailure.Kind.AUTH_UNAVAILABLE, unavailable, "credentials are not sent without TLS", null);
            return;
        }
        session.enter(ClientState.AUTH);
        authStep = 0;
        if (capabilities.authMechanisms().contains("PLAIN")) {
            // RFC 4616 §2: [authzid] NUL authcid NUL passwd, sent as the initial response (RFC 4954 §4).
            authPlain = true;
            out.command("AUTH PLAIN " + base64("\0" + config.user() + "\0" + config.password()), Outstanding.AUTH);
        } else if (capabilities.authMechanisms().contains("LOGIN")) {
            authPlain = false;
            out.command("AUTH LOGIN", Outstanding.AUTH);
        } else {
            session.politeFail(ClientFailure.Kind.AUTH_UNAVAILABLE, unavailable, "the server offers neither AUTH PLAIN nor LOGIN", null);
        }
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
