package io.smtpkit.testkit;

/**
 * Entry point for the testkit's AssertJ assertions, for code that does not import AssertJ's
 * {@code Assertions} (with it, {@code assertThat(message)} already returns a
 * {@link ReceivedMessageAssert}).
 */
public final class SmtpAssertions {

    private SmtpAssertions() {}

    /** Assertions on {@code message}; every check of the chain applies to it. */
    public static ReceivedMessageAssert assertThat(ReceivedMessage message) {
        return new ReceivedMessageAssert(message);
    }
}
