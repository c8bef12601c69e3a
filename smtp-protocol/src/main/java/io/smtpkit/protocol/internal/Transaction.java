package io.smtpkit.protocol.internal;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The mail transaction being built (RFC 5321 §3.3): the reverse path, the accepted recipients
 * with their parameters, the body type, and the recipient limit's accounting. The session decides
 * when a step is allowed; this only keeps what the steps gave and forgets it on {@link #reset}.
 */
public final class Transaction {

    private final SessionConfig config;
    private MailPath reversePath; // null: no transaction open
    private Map<String, String> mailParameters = Map.of();
    private BodyType bodyType = BodyType.SEVEN_BIT;
    private boolean smtpUtf8;
    private final List<MailPath> recipients = new ArrayList<>();
    private final List<Map<String, String>> recipientParameters = new ArrayList<>();
    private int recipientAttempts; // RCPTs asked about, accepted or not
    private int recipientOvershoot; // RCPTs answered 452 for the recipient limit

    public Transaction(SessionConfig config) {
        this.config = config;
    }

    /** MAIL was accepted: the transaction opens with this sender and its parameters. */
    public void begin(MailPath reversePath, Map<String, String> parameters) {
        this.reversePath = reversePath;
        this.mailParameters = parameters;
        String body = parameters.get("BODY");
        bodyType = body == null || Ascii.equalsIgnoreCase(body, "7BIT") ? BodyType.SEVEN_BIT
                : Ascii.equalsIgnoreCase(body, "8BITMIME") ? BodyType.EIGHT_BIT_MIME : BodyType.BINARY_MIME;
        smtpUtf8 = parameters.containsKey("SMTPUTF8");
    }

    /**
     * Counts a RCPT before its recipient is asked about: {@code null} when it may be, otherwise
     * the answer for the recipient limit (RFC 5321 §4.5.3.1.10): {@code 452}, after which the
     * client sends the rest later; that is no error, but a client that never stops would hold the
     * session forever, so past {@link SessionConfig#maxRecipientOvershoot()} it is
     * {@link Replies#RECIPIENT_OVERSHOOT}, which closes the session.
     */
    public Reply admitRecipient() {
        if (config.maxRecipients() > 0 && recipients.size() >= config.maxRecipients()) {
            recipientOvershoot++;
            return config.maxRecipientOvershoot() > 0 && recipientOvershoot > config.maxRecipientOvershoot()
                    ? Replies.RECIPIENT_OVERSHOOT : Reply.TOO_MANY_RECIPIENTS;
        }
        recipientAttempts++;
        return null;
    }

    /** RCPT was accepted for {@code recipient}. */
    public void addRecipient(MailPath recipient, Map<String, String> parameters) {
        recipients.add(recipient);
        recipientParameters.add(parameters);
    }

    /** Whether any RCPT was asked about, so that DATA without recipients can say why (554 or 503). */
    public boolean triedRecipients() {
        return recipientAttempts > 0;
    }

    public MailPath reversePath() {
        return reversePath;
    }

    /** A copy of the accepted recipients, in order. */
    public List<MailPath> recipients() {
        return List.copyOf(recipients);
    }

    public BodyType bodyType() {
        return bodyType;
    }

    /** Whether MAIL asked for SMTPUTF8 (RFC 6531 §3.4), so RCPT may take UTF-8 addresses. */
    public boolean smtpUtf8() {
        return smtpUtf8;
    }

    /** The envelope so far, or {@code null} when no transaction is open. */
    public Envelope envelope() {
        return reversePath == null
                ? null
                : new Envelope(reversePath, recipients, mailParameters, recipientParameters, bodyType, smtpUtf8);
    }

    /** Forgets the transaction (RSET, a new greeting, after delivery or a refused message). */
    public void reset() {
        reversePath = null;
        mailParameters = Map.of();
        bodyType = BodyType.SEVEN_BIT;
        smtpUtf8 = false;
        recipients.clear();
        recipientParameters.clear();
        recipientAttempts = 0;
        recipientOvershoot = 0;
    }
}
