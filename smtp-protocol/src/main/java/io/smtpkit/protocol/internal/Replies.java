package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Every reply the session writes itself, in one place, so the wording (which golden transcripts
 * check byte for byte) is kept and changed here only. The public, handler-facing ones stay on
 * {@link Reply}. Grouped by the reply code's meaning (RFC 5321 §4.2.1).
 */
public final class Replies {

    private Replies() {}

    // 2xx, 3xx
    public static final Reply BYE = Reply.of(221, "2.0.0", "Bye");
    public static final Reply READY_FOR_TLS = Reply.of(220, "2.0.0", "Ready to start TLS");
    public static final Reply DATA_GO_AHEAD = Reply.of(354, "End data with <CR><LF>.<CR><LF>");
    // RFC 5321 §3.5.3: 252 when the server will not verify but will accept mail.
    public static final Reply CANNOT_VRFY = Reply.of(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");

    // 421: the session closes
    public static final Reply TOO_MANY_ERRORS = Reply.of(421, "4.7.0", "Error: too many errors, closing connection");
    public static final Reply RECIPIENT_OVERSHOOT = Reply.of(421, "4.7.0", "Error: too many recipients, closing connection");

    // 500, 501: the line itself
    public static final Reply LINE_TOO_LONG = Reply.of(500, "5.5.2", "Error: line too long");
    public static final Reply SASL_LINE_TOO_LONG = Reply.of(500, "5.5.6", "Authentication Exchange line is too long");
    public static final Reply BAD_SYNTAX = Reply.of(500, "5.5.2", "Error: bad syntax");
    public static final Reply BARE_LF = Reply.of(500, "5.5.2", "Error: bare <LF> received, lines must end with <CR><LF>");
    public static final Reply CONTROL_CHARACTERS = Reply.of(501, "5.5.2", "Error: control characters are not allowed");
    public static final Reply BAD_UTF8 = Reply.of(501, "5.5.2", "Error: invalid UTF-8");
    public static final Reply EIGHT_BIT_COMMAND = Reply.of(501, "5.5.2", "Error: 8-bit characters need SMTPUTF8");

    // 501, 553, 555: addresses and parameters
    public static final Reply NEEDS_SMTPUTF8 = Reply.of(553, "5.6.7", "Error: non-ASCII address needs SMTPUTF8");
    public static final Reply SENDER_CONTROLS = Reply.of(553, "5.1.7", "Error: control characters are not allowed in addresses");
    public static final Reply RECIPIENT_CONTROLS = Reply.of(553, "5.1.3", "Error: control characters are not allowed in addresses");
    public static final Reply BAD_SENDER = Reply.of(501, "5.1.7", "Bad sender address syntax");
    public static final Reply BAD_RECIPIENT = Reply.of(501, "5.1.3", "Bad recipient address syntax");
    public static final Reply PARAMETER_SYNTAX = Reply.of(501, "5.5.4", "Error: bad parameter syntax");
    public static final Reply UNSUPPORTED_BODY = Reply.of(501, "5.5.4", "Error: unsupported BODY type");
    public static final Reply UNKNOWN_MAIL_PARAMETER = Reply.of(555, "5.5.4", "MAIL FROM parameters not recognized or not implemented");
    public static final Reply UNKNOWN_RCPT_PARAMETER = Reply.of(555, "5.5.4", "RCPT TO parameters not recognized or not implemented");

    // 502, 503: commands not offered or out of sequence (RFC 5321 §4.1.4)
    public static final Reply EXPN_NOT_IMPLEMENTED = Reply.of(502, "5.5.1", "Error: EXPN not implemented");
    public static final Reply REFUSED_SESSION = badSequence("session refused, only QUIT is accepted");
    public static final Reply NO_VALID_RECIPIENTS = Reply.of(554, "5.5.1", "Error: no valid recipients");
    public static final Reply NESTED_MAIL = badSequence("nested MAIL command");
    public static final Reply NEED_MAIL = badSequence("need MAIL command");
    public static final Reply NEED_RCPT = badSequence("need RCPT command");
    public static final Reply RCPT_AFTER_BDAT = badSequence("RCPT not allowed after BDAT");
    public static final Reply DATA_AFTER_BDAT = badSequence("DATA not allowed after BDAT");
    public static final Reply TRANSACTION_IN_PROGRESS = badSequence("MAIL transaction in progress");
    public static final Reply BAD_SEQUENCE = badSequence("bad sequence of commands");
    public static final Reply SEND_HELO_FIRST = badSequence("send HELO/EHLO first");
    public static final Reply SEND_EHLO_FIRST = badSequence("send EHLO first");
    public static final Reply SEND_LHLO_FIRST = badSequence("send LHLO first"); // RFC 2033 §4.1
    public static final Reply BINARYMIME_NEEDS_BDAT = badSequence("BODY=BINARYMIME requires BDAT"); // RFC 3030 §3
    public static final Reply TLS_ALREADY_ACTIVE = badSequence("TLS already active");
    public static final Reply ALREADY_AUTHENTICATED = badSequence("already authenticated");

    // 5xx policy: TLS and AUTH (RFC 3207 §4, RFC 4954 §6)
    public static final Reply TLS_REQUIRED = Reply.of(530, "5.7.0", "Must issue a STARTTLS command first");
    public static final Reply AUTH_REQUIRED = Reply.of(530, "5.7.0", "Authentication required");
    public static final Reply ENCRYPTION_REQUIRED = Reply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
    public static final Reply UNKNOWN_MECHANISM = Reply.of(504, "5.5.4", "Error: unrecognized authentication type");
    public static final Reply AUTH_CANCELLED = Reply.of(501, "5.0.0", "Authentication cancelled");
    public static final Reply AUTH_UNDECODABLE = Reply.of(501, "5.5.2", "Error: cannot decode response");

    // 550: message content
    public static final Reply BAD_MESSAGE_LINE_ENDINGS = Reply.of(550, "5.6.0", "Error: message contains bare <CR> or <LF>");

    /** {@code 503 5.5.1 Error: ...}: a command out of sequence (RFC 5321 §4.1.4). */
    private static Reply badSequence(String what) {
        return Reply.of(503, "5.5.1", "Error: " + what);
    }

    /** {@code 501 5.5.4 Syntax: ...}: a known command with wrong arguments. */
    public static Reply syntax(String syntax) {
        return Reply.of(501, "5.5.4", "Syntax: " + syntax);
    }

    /** An unknown verb, shown shortened: it ends up in the reply and so in the client's logs. */
    public static Reply notRecognized(String verb) {
        String shown = verb.length() > 32 ? verb.substring(0, 32) + "..." : verb;
        return Reply.of(500, "5.5.2", "Error: command \"" + shown + "\" not recognized");
    }

    /** A known verb whose extension is off. */
    public static Reply notImplemented(String verb) {
        return Reply.of(502, "5.5.1", "Error: command " + verb + " not implemented");
    }

    /** The 220 greeting. */
    public static Reply greeting(String text) {
        return Reply.of(220, text);
    }

    /** The reply to HELO. */
    public static Reply helo(String hostname) {
        return Reply.of(250, hostname);
    }

    /**
     * The reply to EHLO: the hostname, then one keyword a line (RFC 5321 §4.1.1.1): those of the
     * {@link Extension}s offered ({@code extensionKeywords}), of the command extensions, and HELP.
     */
    public static Reply ehlo(SessionConfig config, List<String> extensionKeywords) {
        List<String> lines = new ArrayList<>(extensionKeywords.size() + config.extensions().size() + 2);
        lines.add(config.hostname());
        lines.addAll(extensionKeywords);
        for (CommandExtension extension : config.extensions()) {
            if (extension.ehloKeyword() != null) {
                lines.add(extension.ehloKeyword());
            }
        }
        lines.add("HELP");
        return new Reply(250, null, lines);
    }

    /** A BDAT chunk that is not the last one was received (RFC 3030 §2). */
    public static Reply chunkReceived(long octetsSoFar) {
        return Reply.of(250, "2.0.0", "OK: " + octetsSoFar + " octets received");
    }

    /** HELP without a topic (RFC 5321 §4.1.1.8). */
    public static Reply supportedCommands(List<String> verbs) {
        return Reply.of(214, "2.0.0", "Supported commands: " + String.join(" ", verbs));
    }

    /** HELP for a topic it does not know. */
    public static Reply unknownHelpTopic(List<String> verbs) {
        return Reply.of(501, "5.5.4", "Supported commands: " + String.join(" ", verbs));
    }

    /** HELP for one command. */
    public static Reply helpSyntax(String syntax) {
        return Reply.of(214, "2.0.0", "Syntax: " + syntax);
    }

    /** A SASL challenge, already base64 (RFC 4954 §4). */
    public static Reply challenge(String base64) {
        return Reply.of(334, base64);
    }
}
