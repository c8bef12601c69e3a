package com.example.smtpkit.springboot;

import static org.assertj.core.api.Assertions.assertThat;

import com.example.smtpkit.springboot.WelcomeService.Outcome;
import io.smtpkit.testkit.SmtpServerExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The service against a real SMTP server on a free port. The port reaches Spring through
 * {@code @DynamicPropertySource}, resolved when the context starts: {@code smtp.port()} starts the
 * server if it is not running yet, so the order of JUnit's and Spring's callbacks does not matter.
 */
@SpringBootTest
class WelcomeServiceTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();

    @DynamicPropertySource
    static void mailServer(DynamicPropertyRegistry registry) {
        registry.add("spring.mail.host", smtp::host);
        registry.add("spring.mail.port", smtp::port);
    }

    @Autowired
    WelcomeService welcome;

    @Test
    void sendsTheWelcomeMail() {
        assertThat(welcome.welcome("alice@example.org", "Alice")).isEqualTo(Outcome.SENT);

        assertThat(smtp.awaitMessage())
                .isFrom("hello@shop.example")
                .hasEnvelopeRecipient("alice@example.org")
                .hasSubject("Welcome, Alice")
                .hasTextContaining("your account is ready");
    }

    @Test
    void aRefusedRecipientTakesTheErrorPath() {
        smtp.whenRcpt("gone@example.org").reply(550, "5.1.1", "No such user");

        assertThat(welcome.welcome("gone@example.org", "Gone")).isEqualTo(Outcome.ADDRESS_REFUSED);
        smtp.assertNoMessagesFor(Duration.ofMillis(200));
    }

    @Test
    void greylistingIsATemporaryFailureThatPassesOnRetry() {
        smtp.greylist();

        assertThat(welcome.welcome("bob@example.org", "Bob")).isEqualTo(Outcome.TRY_LATER);
        assertThat(welcome.welcome("bob@example.org", "Bob")).isEqualTo(Outcome.SENT);

        assertThat(smtp.awaitMessage()).hasEnvelopeRecipient("bob@example.org");
        assertThat(smtp.clientRetriedAfterTransientFailure()).isTrue();
    }

    @Test
    void aServerThatHangsUpIsATemporaryFailure() {
        smtp.whenMail().reply(421, "4.3.2", "Service shutting down");

        assertThat(welcome.welcome("carol@example.org", "Carol")).isEqualTo(Outcome.TRY_LATER);
    }
}
