package io.smtpkit.testkit.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpkit.testkit.SmtpServerExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The README's five-line test, exactly as printed there (between the markers), so that the test
 * most users copy is known to compile and pass; {@link #theReadmePrintsThisTest} keeps the two the
 * same when either changes.
 */
class ReadmeExampleTest {

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
    void theReadmePrintsThisTest() throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/smtpkit/testkit/example/ReadmeExampleTest.java"),
                StandardCharsets.UTF_8);
        String printed = source.substring(source.indexOf("// README begin") + "// README begin".length(),
                source.indexOf("    // README end")).stripTrailing().stripIndent().strip();
        String readme = Files.readString(Path.of("../README.md"), StandardCharsets.UTF_8);

        assertThat(readme).contains("```java\n" + printed + "\n```");
    }
}
