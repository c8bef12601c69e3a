package io.smtpkit.protocol;

import static io.smtpkit.protocol.Verb.Rows.*;
import static io.smtpkit.protocol.internal.Replies.*;

import io.smtpkit.protocol.internal.Ascii;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The verb table of {@link SmtpSession} (RFC 5321 §4.1.4, RFC 3030 §2, RFC 3207 §4, RFC 4954 §4),
 * one row per built-in verb: the states it may be used in (elsewhere it gets the 503 of
 * {@link #outOfSequence}), the state its success leads to ({@code null}: none of its own), the
 * setting that offers it ({@code null}: always; otherwise 502), the syntax its 501 quotes, the
 * syntax HELP shows ({@code null}: not listed) and its handler. Anything not here is a
 * {@link CommandExtension} or unknown. Which verbs a session knows at all depends on its
 * dialect ({@link #isKnown}): LMTP's LHLO takes the place of HELO and EHLO (RFC 2033 §4.1).
 */
enum Verb {
    //       allowed in  success leads to       offered by                   501 "Syntax:" and HELP text
    HELO(COMMANDS,   SessionState.GREETED, null,                        "HELO hostname", (s, a, in) -> s.hello.helo(a)),
    EHLO(COMMANDS,   SessionState.GREETED, null,                        "EHLO hostname", (s, a, in) -> s.hello.ehlo(a)),
    // RFC 2033 §4.1: LMTP's greeting, answered as EHLO is; known only under SessionConfig.lmtp().
    LHLO(COMMANDS,   SessionState.GREETED, null,                        "LHLO hostname", (s, a, in) -> s.hello.lhlo(a)),
    MAIL(GREETED,    SessionState.MAIL,    null,                        "MAIL FROM:<address> [parameters]",
            "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME|BINARYMIME] [SMTPUTF8]", (s, a, in) -> s.tx.mail(a)),
    RCPT(SENDER,     SessionState.RCPT,    null,                        "RCPT TO:<address> [parameters]",
            "RCPT TO:<address>", (s, a, in) -> s.tx.rcpt(a)),
    DATA(RECIPIENTS, SessionState.DATA,    null,                        "DATA", (s, a, in) -> s.tx.data(a)),
    BDAT(CHUNKS,     SessionState.BDAT,    SessionConfig::chunking,     "BDAT size [LAST]", (s, a, in) -> s.tx.bdat(a)),
    RSET(COMMANDS,   null,                 null,                        "RSET", (s, a, in) -> s.rset(a)),
    // RFC 5321 §4.1.1.9: a NOOP argument is ignored.
    NOOP(COMMANDS,   null,                 null,                        "NOOP", (s, a, in) -> s.send(Reply.OK)),
    QUIT(COMMANDS,   null,                 null,                        "QUIT", (s, a, in) -> s.quit()),
    HELP(COMMANDS,   null,                 null,                        "HELP [command]", (s, a, in) -> s.help(a)),
    VRFY(COMMANDS,   null,                 null,                        "VRFY <address>", (s, a, in) -> s.vrfy(a)),
    // Always answered 502, so HELP does not offer it.
    EXPN(COMMANDS,   null,                 null,                        "EXPN <list>", null, (s, a, in) -> s.refuse(EXPN_NOT_IMPLEMENTED)),
    STARTTLS(GREETED, SessionState.TLS,    SessionConfig::startTls,     "STARTTLS", (s, a, in) -> s.startTls(a, in)),
    AUTH(GREETED,    SessionState.AUTH,    SessionConfig::authentication, "AUTH mechanism [initial-response]", (s, a, in) -> s.auth.auth(a));

    /** The state sets of the table's first column (an enum's rows cannot read the enum's own static fields). */
    static final class Rows {
        static final Set<SessionState> COMMANDS = EnumSet.of(
                SessionState.CONNECTED, SessionState.GREETED, SessionState.MAIL, SessionState.RCPT, SessionState.BDAT);
        static final Set<SessionState> GREETED = EnumSet.of(SessionState.GREETED);
        static final Set<SessionState> SENDER = EnumSet.of(SessionState.MAIL, SessionState.RCPT);
        static final Set<SessionState> RECIPIENTS = EnumSet.of(SessionState.RCPT);
        static final Set<SessionState> CHUNKS = EnumSet.of(SessionState.RCPT, SessionState.BDAT);
    }

    /** What a verb does once it may: the session, the argument after the verb, the input (for STARTTLS). */
    interface Handler {
        void handle(SmtpSession session, String argument, ByteBuffer in);
    }

    private static final Verb[] ALL = values(); // values() copies the array on every call

    private final Set<SessionState> allowed;
    final SessionState next;
    private final Predicate<SessionConfig> offeredBy;
    final String syntax;
    private final String help;
    final Handler handler;

    Verb(Set<SessionState> allowed, SessionState next, Predicate<SessionConfig> offeredBy, String syntax, Handler handler) {
        this(allowed, next, offeredBy, syntax, syntax, handler);
    }

    Verb(Set<SessionState> allowed, SessionState next, Predicate<SessionConfig> offeredBy, String syntax, String help,
            Handler handler) {
        this.allowed = allowed;
        this.next = next;
        this.offeredBy = offeredBy;
        this.syntax = syntax;
        this.help = help;
        this.handler = handler;
    }

    /** The row for an upper-case verb, or {@code null}. */
    static Verb of(String text) {
        for (Verb v : ALL) {
            if (v.name().equals(text)) {
                return v;
            }
        }
        return null;
    }

    /**
     * Whether the verb exists at all in {@code config}'s dialect; otherwise it is unknown and
     * answered 500, as a verb of no table would be. RFC 2033 §4.1: an LMTP server greets with
     * LHLO only, and HELO and EHLO are errors there, so that an SMTP client that reaches an LMTP
     * port by mistake stops at once instead of delivering with the wrong semantics.
     */
    boolean isKnown(SessionConfig config) {
        return switch (this) {
            case HELO, EHLO -> !config.lmtp();
            case LHLO -> config.lmtp();
            default -> true;
        };
    }

    /** Whether {@code config} offers this verb (otherwise it is answered 502). */
    boolean isOffered(SessionConfig config) {
        return offeredBy == null || offeredBy.test(config);
    }

    /**
     * RFC 5321 §4.5.3.1.4: 512 octets per command line, CRLF included; MAIL and RCPT get the
     * allowances of the extensions that add parameters to them (see
     * {@link SessionConfig#maxMailLine()}).
     */
    int maxLine(SessionConfig config) {
        return switch (this) {
            case MAIL -> config.maxMailLine();
            case RCPT -> config.maxRcptLine();
            // AUTH's initial response may be as long as a SASL response line (RFC 4954 §4).
            case AUTH -> config.maxLineBuffer();
            default -> config.maxCommandLine();
        };
    }

    /**
     * Checks the verb against its row and picks the RFC 5321 §4.1.4 / RFC 2920 §3.1 reply for a
     * command out of sequence in {@code state}, or {@code null} when it may go ahead;
     * {@code triedRecipients} tells DATA without recipients whether any RCPT was refused (554);
     * {@code config} names the greeting that is missing (LHLO under LMTP).
     */
    Reply outOfSequence(SessionState state, boolean triedRecipients, SessionConfig config) {
        if (allowed.contains(state)) {
            return null;
        }
        if (state == SessionState.CONNECTED) {
            return config.lmtp() ? SEND_LHLO_FIRST : this == STARTTLS || this == AUTH ? SEND_EHLO_FIRST : SEND_HELO_FIRST;
        }
        return switch (this) {
            case MAIL -> NESTED_MAIL;
            case RCPT -> state == SessionState.BDAT ? RCPT_AFTER_BDAT : NEED_MAIL;
            case DATA, BDAT -> state == SessionState.BDAT ? DATA_AFTER_BDAT
                    : state == SessionState.MAIL ? (triedRecipients ? NO_VALID_RECIPIENTS : NEED_RCPT)
                    : NEED_MAIL;
            case STARTTLS, AUTH -> TRANSACTION_IN_PROGRESS;
            default -> BAD_SEQUENCE;
        };
    }

    /**
     * HELP's answer (RFC 5321 §4.1.1.8): without a topic, 214 and what {@link #supported} lists;
     * for an offered verb, 214 and its syntax; otherwise a 501 with the list.
     */
    static Reply help(String argument, SessionConfig config) {
        String topic = Ascii.upper(argument.strip());
        List<String> supported = supported(config);
        if (topic.isEmpty()) {
            return supportedCommands(supported);
        }
        Verb verb = of(topic);
        return verb == null || verb.help == null || !supported.contains(topic)
                ? unknownHelpTopic(supported)
                : helpSyntax(verb.help);
    }

    /** What HELP lists: the offered verbs and the command extensions', sorted. */
    private static List<String> supported(SessionConfig config) {
        List<String> verbs = new ArrayList<>();
        for (Verb v : ALL) {
            if (v.isKnown(config) && v.isOffered(config) && v.help != null) {
                verbs.add(v.name());
            }
        }
        for (CommandExtension extension : config.extensions()) {
            String verb = Ascii.upper(extension.verb());
            if (!verbs.contains(verb)) {
                verbs.add(verb);
            }
        }
        verbs.sort(null);
        return verbs;
    }
}
