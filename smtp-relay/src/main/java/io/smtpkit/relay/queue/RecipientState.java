package io.smtpkit.relay.queue;

import java.util.Map;
import java.util.Objects;

/**
 * One recipient of a queued message as the store last recorded it.
 *
 * @param address the recipient's address
 * @param parameters its RCPT parameters
 * @param state where its delivery stands
 * @param lastReply the last reply about it ({@code "451 4.4.1 Connection refused"}), or {@code null}
 *     before the first attempt
 */
public record RecipientState(String address, Map<String, String> parameters, State state, String lastReply) {

    /** Where one recipient's delivery stands. */
    public enum State {
        /** Not tried yet. */
        QUEUED,
        /** Tried and refused for now (4xx, or the next hop could not be reached): tried again later. */
        DEFERRED,
        /** The next hop took it. Final. */
        DELIVERED,
        /** Refused for good (5xx), or its lifetime ran out. Final. */
        FAILED,
        /** Would be tried, but the message is held ({@link QueueStore#hold}). */
        HELD;

        /** True for a recipient that will not be tried again. */
        public boolean isFinal() {
            return this == DELIVERED || this == FAILED;
        }
    }

    /** Copies the parameters. */
    public RecipientState {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(state, "state");
        parameters = QueuedEnvelope.copy(parameters);
    }

    /** True while the recipient is still to be tried (queued, deferred or held). */
    public boolean isPending() {
        return !state.isFinal();
    }
}
