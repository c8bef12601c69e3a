package io.smtpkit.protocol;

import io.smtpkit.protocol.internal.Replies;

/**
 * HELO and EHLO (RFC 5321 §4.1.1.1), or LMTP's LHLO (RFC 2033 §4.1), for one
 * {@link SmtpSession}: asks {@link Decision.Hello}, keeps the name the client gave and whether it
 * was EHLO (or LHLO, which is answered alike), and answers with the EHLO keywords.
 */
final class HelloCommand {

    private final SmtpSession session;
    private String name;
    private boolean extended;
    private boolean enhancedCodes;

    HelloCommand(SmtpSession session) {
        this.session = session;
    }

    /** The name of the accepted HELO/EHLO, or {@code null}. */
    String name() {
        return name;
    }

    /** Whether the accepted greeting was EHLO or LHLO. */
    boolean extended() {
        return extended;
    }

    /** Whether replies carry enhanced status codes (RFC 2034: only after EHLO, when offered). */
    boolean enhancedCodes() {
        return enhancedCodes;
    }

    void helo(String argument) {
        hello(argument, Verb.HELO);
    }

    void ehlo(String argument) {
        hello(argument, Verb.EHLO);
    }

    void lhlo(String argument) {
        hello(argument, Verb.LHLO);
    }

    /**
     * RFC 5321 §4.1.1.1 asks for a Domain or an address literal, but the session checks only
     * that there is one word: clients send underscores, bare IP addresses and unbracketed names
     * in the wild, and refusing them breaks mail that every common MTA takes (Postfix accepts any
     * word unless told to be strict). The handler sees the name in {@link Decision.Hello}.
     */
    private void hello(String argument, Verb verb) {
        String domain = argument.strip();
        if (domain.isEmpty() || domain.indexOf(' ') >= 0) {
            session.refuseSyntax(verb);
            return;
        }
        // LHLO is an EHLO in every respect but its name (RFC 2033 §4.1), so the handler sees it as one.
        session.ask(new Decision.Hello(domain, verb != Verb.HELO), (s, hello, reply) -> s.hello.greeted(hello, reply));
    }

    private void greeted(Decision.Hello hello, Reply reply) {
        if (session.refusedBy(reply)) {
            return; // a refused greeting leaves the session, and any transaction, as it was
        }
        // An accepted EHLO/HELO in the middle of a transaction resets it, as RSET would
        // (RFC 5321 §4.1.4: "if ... the EHLO command is acceptable to the SMTP server").
        session.resetTransaction();
        SessionConfig config = session.config();
        name = hello.domain();
        extended = hello.extended();
        enhancedCodes = extended && config.enhancedStatusCodes();
        session.enter(!extended ? Verb.HELO : config.lmtp() ? Verb.LHLO : Verb.EHLO);
        session.send(extended
                ? Replies.ehlo(config, config.extensionKeywords(session.isSecure()))
                : Replies.helo(config.hostname()));
    }

    /** TLS started (RFC 3207 §4.2): the client must greet again. */
    void forget() {
        name = null;
        extended = false;
        enhancedCodes = false;
    }
}
