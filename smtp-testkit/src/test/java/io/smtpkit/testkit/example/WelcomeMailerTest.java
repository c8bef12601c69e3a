package io.smtpkit.testkit.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpkit.testkit.SmtpServerExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example of the README: plain JUnit 5, Jakarta Mail (Angus) as the client. Between the
 * markers is the README's five-line test exactly as printed, so that the test most users copy is
 * known to compile and pass; {@link #theReadmePrintsThisTest} keeps the two the same.
 */
class WelcomeMailerTest {

    // README begin
    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();

    @Test
    void sendsTheWelcomeMail() throws Exception {
        new WelcomeMailer(smtp.host(), smtp.port()).welcome("alice@example.org", "Alice");
        assertThat(smtp.awaitMessage()).hasEnvelopeRecipient("alice@example.org").hasSubject("Welcome, Alice");
    }
    // README end

    @Test
    void theMailSaysWhoSendsItAndThatTheAccountIsReady() throws Exception {
        new WelcomeMailer(smtp.host(), smtp.port()).welcome("bob@example.org", "Bob");

        assertThat(smtp.awaitMessage()).isFrom("hello@shop.example").hasTextContaining("your account is ready");
    }

    @Test
    void aRefusedAddressIsReported() throws Exception {
        smtp.whenRcpt("gone@example.org").reply(550, "5.1.1", "No such user");

        boolean sent = new WelcomeMailer(smtp.host(), smtp.port()).welcome("gone@example.org", "Gone");

        assertThat(sent).isFalse();
        smtp.assertNoMessagesFor(Duration.ofMillis(200));
    }

    @Test
    void theReadmePrintsThisTest() throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/smtpkit/testkit/example/WelcomeMailerTest.java"),
                StandardCharsets.UTF_8);
        String printed = source.substring(source.indexOf("// README begin") + "// README begin".length(),
                source.indexOf("    // README end")).stripTrailing().stripIndent().strip();
        String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);

        assertThat(readme).contains("```java\n" + printed + "\n```");
    }
}
