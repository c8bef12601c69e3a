package io.smtpkit.testkit;

import java.util.List;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on one {@link ReceivedMessage}. Every check of a chain applies to the same
 * message, so a chain cannot pass by matching its sender on one mail and its subject on another:
 * <pre>{@code
 * assertThat(smtp.awaitMessage())
 *     .isFrom("shop@example.org")
 *     .hasEnvelopeRecipient("alice@example.org")
 *     .hasSubject("Your order")
 *     .hasTextContaining("Order 42")
 *     .hasAttachmentNamed("invoice.pdf");
 * }</pre>
 * Get one with {@code assertThat(message)} from AssertJ's {@code Assertions} (a
 * {@code ReceivedMessage} is an {@code AssertProvider}) or from {@link SmtpAssertions}.
 */
public final class ReceivedMessageAssert extends AbstractAssert<ReceivedMessageAssert, ReceivedMessage> {

    ReceivedMessageAssert(ReceivedMessage actual) {
        super(actual, ReceivedMessageAssert.class);
    }

    /** The envelope sender ({@code MAIL FROM}) is {@code address}; {@code ""} for {@code <>}. */
    public ReceivedMessageAssert isFrom(String address) {
        isNotNull();
        if (!actual.sender().equalsIgnoreCase(address)) {
            failWithMessage("expected envelope sender <%s> but was <%s>%nin message %s", address, actual.sender(), actual);
        }
        return this;
    }

    /** {@code address} is among the envelope recipients ({@code RCPT TO}), ignoring case. */
    public ReceivedMessageAssert hasEnvelopeRecipient(String address) {
        isNotNull();
        if (actual.recipients().stream().noneMatch(r -> r.equalsIgnoreCase(address))) {
            failWithMessage("expected envelope recipient <%s> but the recipients were %s%nin message %s", address,
                    actual.recipients(), actual);
        }
        return this;
    }

    /** The envelope recipients are exactly these, in this order. */
    public ReceivedMessageAssert hasEnvelopeRecipients(String... addresses) {
        isNotNull();
        if (!actual.recipients().equals(List.of(addresses))) {
            failWithMessage("expected envelope recipients %s but were %s%nin message %s", List.of(addresses),
                    actual.recipients(), actual);
        }
        return this;
    }

    /** The decoded subject equals {@code subject}. */
    public ReceivedMessageAssert hasSubject(String subject) {
        isNotNull();
        if (!subject.equals(actual.subject())) {
            failWithMessage("expected subject \"%s\" but was \"%s\"%nin message %s", subject, actual.subject(), actual);
        }
        return this;
    }

    /** The first text/plain part contains {@code fragment}. */
    public ReceivedMessageAssert hasTextContaining(String fragment) {
        isNotNull();
        String text = actual.text();
        if (text == null || !text.contains(fragment)) {
            failWithMessage("expected the text to contain \"%s\" but it was %s%nin message %s", fragment,
                    text == null ? "absent (no text/plain part)" : "\"" + text + "\"", actual);
        }
        return this;
    }

    /** A part has the file name {@code name}. */
    public ReceivedMessageAssert hasAttachmentNamed(String name) {
        isNotNull();
        if (!actual.attachmentNames().contains(name)) {
            failWithMessage("expected an attachment named \"%s\" but the names were %s%nin message %s", name,
                    actual.attachmentNames(), actual);
        }
        return this;
    }

    /** Header {@code name} has a value equal to {@code value} (as sent, not decoded). */
    public ReceivedMessageAssert hasHeader(String name, String value) {
        isNotNull();
        if (!actual.header(name).contains(value)) {
            failWithMessage("expected header %s: %s but its values were %s%nin message %s", name, value,
                    actual.header(name), actual);
        }
        return this;
    }

    /** The message came over TLS. */
    public ReceivedMessageAssert wasSentOverTls() {
        isNotNull();
        if (!actual.overTls()) {
            failWithMessage("expected the message to come over TLS, but it came in plain text%nin message %s", actual);
        }
        return this;
    }

    /** The client had authenticated as {@code user}. */
    public ReceivedMessageAssert wasAuthenticatedAs(String user) {
        isNotNull();
        if (!user.equals(actual.authenticatedUser())) {
            failWithMessage("expected the client to be authenticated as %s but it was %s%nin message %s", user,
                    actual.authenticatedUser() == null ? "not authenticated" : actual.authenticatedUser(), actual);
        }
        return this;
    }
}
