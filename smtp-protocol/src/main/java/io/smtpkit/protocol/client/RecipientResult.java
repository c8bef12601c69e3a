package io.smtpkit.protocol.client;

import io.smtpkit.protocol.Reply;
import java.util.Objects;

/**
 * What became of one recipient: the server's verdict, and where in the transaction it fell.
 *
 * @param recipient the recipient as sent
 * @param rcptReply the server's reply to its RCPT, or {@code null} if the RCPT got no reply
 *     (refused locally, or the session failed first)
 * @param reply the verdict: the RCPT refusal; or, for a recipient the RCPT accepted, the reply
 *     after the data (RFC 5321 §4.1.1.4; in LMTP its own reply, RFC 2033 §4.2) or the refusal of
 *     DATA/BDAT; or the {@linkplain ClientFailure#reply() failure's reply}
 * @param stage where the verdict came from
 */
public record RecipientResult(Transaction.Recipient recipient, Reply rcptReply, Reply reply, Stage stage) {

    /** Where a recipient's verdict was given. */
    public enum Stage {
        /** At RCPT: the server refused the recipient. */
        RCPT,
        /** After the RCPT was accepted: at DATA, a BDAT chunk, or the end of the data. */
        DATA,
        /** By the client: the transaction was refused locally or failed (see {@link TransactionResult#failure()}). */
        LOCAL
    }

    /** Checks the parts that must be there. */
    public RecipientResult {
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(reply, "reply");
        Objects.requireNonNull(stage, "stage");
    }

    /** True if the server took the message for this recipient. */
    public boolean delivered() {
        return stage == Stage.DATA && reply.code() >= 200 && reply.code() < 300;
    }
}
