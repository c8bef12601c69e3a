package io.smtpkit.protocol;

import java.util.List;
import java.util.Map;

/**
 * What a mail transaction told the server besides the content: the reverse path, the accepted
 * recipients and the ESMTP parameters given with them (smtpd's {@code mailfrom}, {@code rcpttos},
 * {@code mail_options} and {@code rcpt_options}). Immutable.
 *
 * @param reversePath the MAIL FROM path, {@link Path#NULL} for bounces
 * @param recipients the recipients the server accepted, in order
 * @param mailParameters the MAIL parameters, keyword upper-cased, value as sent ({@code null} for
 *     a keyword without value), in the order sent
 * @param recipientParameters for each accepted recipient, its RCPT parameters in the same form
 * @param bodyType the BODY parameter
 * @param smtpUtf8 whether the client asked for SMTPUTF8 (RFC 6531)
 */
public record Envelope(
        MailPath reversePath,
        List<MailPath> recipients,
        Map<String, String> mailParameters,
        List<Map<String, String>> recipientParameters,
        BodyType bodyType,
        boolean smtpUtf8) {

    /** Copies the lists and maps so the envelope cannot change under a handler. */
    public Envelope {
        recipients = List.copyOf(recipients);
        mailParameters = ParameterMaps.copy(mailParameters);
        recipientParameters = recipientParameters.stream().map(ParameterMaps::copy).toList();
    }

    /**
     * The MAIL parameters as smtpd's {@code mail_options}: {@code KEYWORD} or
     * {@code KEYWORD=value} strings, keyword upper-cased.
     */
    public List<String> mailOptions() {
        return ParameterMaps.options(mailParameters);
    }

    /** The RCPT parameters of all recipients in order, as smtpd's {@code rcpt_options}. */
    public List<String> rcptOptions() {
        return recipientParameters.stream().flatMap(p -> ParameterMaps.options(p).stream()).toList();
    }

    /** The recipients' addresses as plain strings (smtpd's {@code rcpttos}). */
    public List<String> recipientAddresses() {
        return recipients.stream().map(MailPath::address).toList();
    }
}
