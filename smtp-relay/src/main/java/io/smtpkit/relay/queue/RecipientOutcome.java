package io.smtpkit.relay.queue;

import java.util.Objects;

/**
 * What one delivery attempt came to for one recipient, as {@link QueueStore#recordAttempt} records it.
 *
 * @param address the recipient, as in the envelope
 * @param result delivered, deferred or failed
 * @param reply the reply that decided it ({@code "250 2.0.0 Ok"}, {@code "451 4.4.1 …"})
 */
public record RecipientOutcome(String address, Result result, String reply) {

    /** The three ends of an attempt. */
    public enum Result {
        /** The next hop took the message for this recipient. */
        DELIVERED,
        /** Try again later. */
        DEFERRED,
        /** Do not try again. */
        FAILED;

        RecipientState.State state() {
            return switch (this) {
                case DELIVERED -> RecipientState.State.DELIVERED;
                case DEFERRED -> RecipientState.State.DEFERRED;
                case FAILED -> RecipientState.State.FAILED;
            };
        }
    }

    /** Checks the parts. */
    public RecipientOutcome {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(result, "result");
    }

    /** Delivered, with the next hop's reply. */
    public static RecipientOutcome delivered(String address, String reply) {
        return new RecipientOutcome(address, Result.DELIVERED, reply);
    }

    /** Deferred, with the reply that said so. */
    public static RecipientOutcome deferred(String address, String reply) {
        return new RecipientOutcome(address, Result.DEFERRED, reply);
    }

    /** Failed for good, with the reply that said so. */
    public static RecipientOutcome failed(String address, String reply) {
        return new RecipientOutcome(address, Result.FAILED, reply);
    }
}
