package io.smtpkit.relay.queue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of one queued message: what {@code queue list} and {@code queue show} print and what
 * the runner delivers.
 *
 * @param id the store's id, printable and safe in a file name
 * @param arrival when it was enqueued
 * @param size the content's length in octets
 * @param sender the reverse path's address, {@code ""} for the null reverse path
 * @param mailParameters the MAIL parameters
 * @param recipients every recipient with its state (pending ones {@code HELD} while the message is held)
 * @param attempts how many attempts were recorded
 * @param lastAttempt when the last attempt was made, {@code null} before the first
 * @param nextAttempt when it is due next
 * @param held whether it is held
 */
public record QueuedMessage(
        String id,
        Instant arrival,
        long size,
        String sender,
        Map<String, String> mailParameters,
        List<RecipientState> recipients,
        int attempts,
        Instant lastAttempt,
        Instant nextAttempt,
        boolean held) {

    /** Copies the lists and maps. */
    public QueuedMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(arrival, "arrival");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(nextAttempt, "nextAttempt");
        mailParameters = QueuedEnvelope.copy(mailParameters);
        recipients = List.copyOf(recipients);
    }

    /** The recipients still to be tried. */
    public List<RecipientState> pending() {
        return recipients.stream().filter(RecipientState::isPending).toList();
    }

    /** The envelope it was enqueued with. */
    public QueuedEnvelope envelope() {
        List<QueuedEnvelope.Recipient> r = new ArrayList<>(recipients.size());
        for (RecipientState s : recipients) {
            r.add(new QueuedEnvelope.Recipient(s.address(), s.parameters()));
        }
        return new QueuedEnvelope(sender, mailParameters, r);
    }
}
