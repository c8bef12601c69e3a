package io.smtpkit.relay.queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a queued message was sent with besides its content: the reverse path and the recipients,
 * each with the ESMTP parameters given with it (as {@link io.smtpkit.protocol.Envelope} keeps
 * them: keyword upper-cased, value as sent, {@code null} for a keyword without a value).
 *
 * @param sender the reverse path's address, {@code ""} for the null reverse path
 * @param mailParameters the MAIL parameters (BODY, SMTPUTF8, RET, ENVID, …), in the order sent
 * @param recipients the recipients, in order
 */
public record QueuedEnvelope(String sender, Map<String, String> mailParameters, List<Recipient> recipients) {

    /** One recipient and its RCPT parameters (NOTIFY, ORCPT, …). */
    public record Recipient(String address, Map<String, String> parameters) {

        /** Copies the parameters. */
        public Recipient {
            Objects.requireNonNull(address, "address");
            parameters = copy(parameters);
        }
    }

    /** Copies the lists and maps; at least one recipient. */
    public QueuedEnvelope {
        Objects.requireNonNull(sender, "sender");
        mailParameters = copy(mailParameters);
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a queued message has at least one recipient");
        }
    }

    /** True for the null reverse path, which never gets a delivery status notification (RFC 5321 §4.5.5). */
    public boolean isBounce() {
        return sender.isEmpty();
    }

    /** The recipients' addresses, in order. */
    public List<String> addresses() {
        List<String> a = new ArrayList<>(recipients.size());
        for (Recipient r : recipients) {
            a.add(r.address());
        }
        return a;
    }

    // Map.copyOf refuses null values, which parameters without a value have.
    static Map<String, String> copy(Map<String, String> m) {
        return m == null || m.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
