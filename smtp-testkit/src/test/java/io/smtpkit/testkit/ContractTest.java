package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.SendFailedException;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue #10's contract, call for call as the issue writes it (the project's acceptance checks
 * use these names): if a signature changes, this stops compiling; if a meaning changes, it fails.
 */
class ContractTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();  // 127.0.0.1, port 0

    @Test
    void theContractAsTheIssueWritesIt() throws Exception {
        String host = smtp.host();
        int port = smtp.port();
        assertThat(host).isEqualTo("127.0.0.1");
        assertThat(port).isPositive();
        Mail.send(smtp, "a@example.org", "first", "one", "b@example.org", "c@example.org");
        Mail.send(smtp, "a@example.org", "second", "two", "d@example.org");

        List<ReceivedMessage> got = smtp.awaitMessages(2, Duration.ofSeconds(5));
        ReceivedMessage m = got.get(0);

        assertThat(m.sender()).isEqualTo("a@example.org");
        assertThat(m.recipients()).containsExactly("b@example.org", "c@example.org");
        assertThat(new String(m.bytes(), StandardCharsets.US_ASCII)).startsWith("Received: ").contains("Subject: first");
        MimeMessage parsed = m.mimeMessage();
        assertThat(parsed.getSubject()).isEqualTo("first");
        assertThat(m.mimeMessage()).isSameAs(parsed); // parsed once
        assertThat(m.subject()).isEqualTo("first");
        assertThat(m.text()).isEqualTo("one\r\n");
        assertThat(smtp.messages()).hasSize(2).containsExactlyElementsOf(got);
    }

    @Test
    void assertNoMessagesForFailsOnAnyMessage() throws Exception {
        smtp.assertNoMessagesFor(Duration.ofMillis(500));
        Mail.send(smtp, "a@example.org", "s", "x", "b@example.org");

        assertThatThrownBy(() -> smtp.assertNoMessagesFor(Duration.ofMillis(500))).isInstanceOf(AssertionError.class);
    }

    @Test
    void whenRcptReplyRefusesThatRecipient() {
        smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user");

        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "x", "bounce@example.org"))
                .isInstanceOf(SendFailedException.class)
                .satisfies(e -> assertThat(SmtpServerExtensionTest.allMessages(e)).contains("550 5.1.1 No such user"));
        assertThat(smtp.messages()).isEmpty();
    }

    @Test
    void anEmptyReversePathIsTheEmptySender() throws Exception {
        try (var client = io.smtpkit.server.testsupport.SmtpClient.connect(
                new java.net.InetSocketAddress(smtp.host(), smtp.port()))) {
            client.reply();
            client.command("EHLO c");
            assertThat(client.sendMail("", "b@example.org", "Subject: bounce\r\n\r\nx")).startsWith("250");
        }
        assertThat(smtp.awaitMessages(1, Duration.ofSeconds(5)).get(0).sender()).isEqualTo("");
    }
}
