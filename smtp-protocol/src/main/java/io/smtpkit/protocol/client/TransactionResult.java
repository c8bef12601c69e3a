package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.util.List;
import java.util.Objects;

/**
 * What one transaction came to (RFC 5321 §3.3, §4.2.5; RFC 2033 §4.2 for LMTP's replies per
 * recipient), for a relay to act on: per recipient the server's verdict, the reply that ended the
 * transaction, and a failure when it did not end by the server's word.
 * Every recipient has a verdict, so none is lost: those not {@linkplain #delivered() delivered}
 * stay the sender's responsibility.
 *
 * @param recipients one result per recipient, in the order given
 * @param mailReply the reply to MAIL, or {@code null} if MAIL got none (refused locally, failure)
 * @param reply the reply that ended the transaction: after the data (in LMTP, the last
 *     recipient's), or the refusal that stopped it (MAIL, the last RCPT when none was accepted,
 *     DATA, a BDAT chunk), or the failure's reply
 * @param failure why the transaction ended other than by the server's verdicts, or {@code null}
 */
public record TransactionResult(List<RecipientResult> recipients, Reply mailReply, Reply reply, ClientFailure failure) {

    /** Copies the list. */
    public TransactionResult {
        recipients = List.copyOf(recipients);
        Objects.requireNonNull(reply, "reply");
    }

    /** True if at least one recipient was delivered. */
    public boolean delivered() {
        return recipients.stream().anyMatch(RecipientResult::delivered);
    }

    /** True if every recipient was delivered. */
    public boolean deliveredToAll() {
        return recipients.stream().allMatch(RecipientResult::delivered);
    }

    /** The recipients the server took the message for. */
    public List<RecipientResult> accepted() {
        return recipients.stream().filter(RecipientResult::delivered).toList();
    }

    /** The recipients it did not take, with their verdicts. */
    public List<RecipientResult> refused() {
        return recipients.stream().filter(r -> !r.delivered()).toList();
    }
}
