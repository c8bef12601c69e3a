package io.smtpkit.testkit.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpkit.testkit.SmtpServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The example of the README: plain JUnit 5, Jakarta Mail (Angus) as the client. */
class WelcomeMailerTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();

    @Test
    void sendsTheWelcomeMail() throws Exception {
        new WelcomeMailer(smtp.host(), smtp.port()).welcome("alice@example.org", "Alice");

        assertThat(smtp.awaitMessage())
                .isFrom("hello@shop.example")
                .hasEnvelopeRecipient("alice@example.org")
                .hasSubject("Welcome, Alice")
                .hasTextContaining("your account is ready");
    }

    @Test
    void aRefusedAddressIsReported() throws Exception {
        smtp.whenRcpt("gone@example.org").reply(550, "5.1.1", "No such user");

        boolean sent = new WelcomeMailer(smtp.host(), smtp.port()).welcome("gone@example.org", "Gone");

        assertThat(sent).isFalse();
        smtp.assertNoMessagesFor(Duration.ofMillis(200));
    }
}
