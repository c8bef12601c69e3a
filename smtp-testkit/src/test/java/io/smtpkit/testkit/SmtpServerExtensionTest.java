package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smtpkit.server.testsupport.SmtpClient;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension in a static field, with Angus Mail as the client: capture, wait, report. */
class SmtpServerExtensionTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();

    @Test
    void capturesOneMessagePerTransactionWithItsEnvelope() throws Exception {
        Mail.send(smtp, "shop@example.org", "Your order", "Order 42 ships today.", "alice@example.org", "bob@example.org");

        List<ReceivedMessage> got = smtp.awaitMessages(1, Duration.ofSeconds(5));

        assertThat(got).hasSize(1); // one transaction, two recipients: one message
        ReceivedMessage m = got.get(0);
        assertThat(m.sender()).isEqualTo("shop@example.org");
        assertThat(m.recipients()).containsExactly("alice@example.org", "bob@example.org");
        assertThat(m.subject()).isEqualTo("Your order");
        assertThat(m.text()).isEqualTo("Order 42 ships today.\r\n"); // SMTP ends the content with a line break
        assertThat(new String(m.bytes(), StandardCharsets.US_ASCII)).startsWith("Received: from ");
        assertThat(m.mimeMessage()).isSameAs(m.mimeMessage());
        assertThat(smtp.messagesTo("BOB@example.org")).containsExactly(m);
        assertThat(smtp.messagesTo("carol@example.org")).isEmpty();
    }

    @Test
    void startsEachTestEmpty() {
        // Runs in any order with the others: whatever they sent was reset before this test.
        assertThat(smtp.messages()).isEmpty();
        assertThat(smtp.sessions()).isEmpty();
        assertThat(smtp.port()).isPositive();
    }

    @Test
    void aBounceHasTheEmptySender() throws Exception {
        try (SmtpClient client = SmtpClient.connect(new InetSocketAddress(smtp.host(), smtp.port()))) {
            client.reply();
            client.command("EHLO c");
            assertThat(client.sendMail("", "b@example.org", "Subject: bounce\r\n\r\nundeliverable")).startsWith("250");
        }

        ReceivedMessage m = smtp.awaitMessage();
        assertThat(m.sender()).isEmpty();
        assertThat(m).isFrom("").hasSubject("bounce");
    }

    @Test
    void byHandWithoutTheReceivedHeader() throws Exception {
        try (SmtpServerExtension bare = SmtpServerExtension.builder().receivedHeader(false).build().start()) {
            Mail.send(bare, "a@example.org", "bare", "x", "b@example.org");

            String stored = new String(bare.awaitMessage().bytes(), StandardCharsets.US_ASCII);
            assertThat(stored).doesNotContain("Received:").contains("Subject: bare");
        }
    }

    @Test
    void decodesEncodedSubjectsAndText() throws Exception {
        Mail.send(smtp, "a@example.org", "Grüße, 東京", "ünïcödé body", "b@example.org");

        ReceivedMessage m = smtp.awaitMessage();

        assertThat(m.subject()).isEqualTo("Grüße, 東京");
        assertThat(m.text()).isEqualToIgnoringWhitespace("ünïcödé body");
        assertThat(m.content()).doesNotContain("Grüße"); // on the wire it was RFC 2047-encoded
    }

    @Test
    void awaitFailsWithWhatArrivedAndTheTranscripts() throws Exception {
        Mail.send(smtp, "a@example.org", "only one", "x", "b@example.org");

        assertThatThrownBy(() -> smtp.awaitMessages(2, Duration.ofMillis(300)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected 2 message(s) within 0.3s but 1 arrived")
                .hasMessageContaining("from <a@example.org> to [<b@example.org>], subject \"only one\"")
                .hasMessageContaining("last lines:")
                .hasMessageContaining("MAIL FROM:<a@example.org>");
    }

    @Test
    void aWaitOfAnyLengthIsAccepted() throws Exception {
        Mail.send(smtp, "a@example.org", "s", "x", "b@example.org");

        // Duration.toNanos overflows past ~292 years; "wait forever" must not throw ArithmeticException.
        assertThat(smtp.awaitMessages(1, Duration.ofSeconds(Long.MAX_VALUE))).hasSize(1);
    }

    @Test
    void awaitWithNobodyConnectingSaysSo() {
        assertThatThrownBy(() -> smtp.awaitMessages(1, Duration.ofMillis(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("but 0 arrived")
                .hasMessageContaining("no client connected to 127.0.0.1:" + smtp.port());
    }

    @Test
    void assertNoMessagesForFailsWhenOneArrives() throws Exception {
        smtp.assertNoMessagesFor(Duration.ofMillis(50));
        Mail.send(smtp, "a@example.org", "unexpected", "x", "b@example.org");

        assertThatThrownBy(() -> smtp.assertNoMessagesFor(Duration.ofSeconds(5)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected no message for 5s but 1 arrived")
                .hasMessageContaining("subject \"unexpected\"");
    }

    @Test
    void refusedRecipientReachesAngusMailAsA550() throws Exception {
        smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user");

        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "x", "bounce@example.org"))
                .isInstanceOf(SendFailedException.class)
                .satisfies(e -> assertThat(allMessages(e)).contains("550 5.1.1 No such user"));
        smtp.assertNoMessagesFor(Duration.ofMillis(100));
    }

    @Test
    void aMessageToGoodAndBadRecipientsKeepsOnlyTheGoodOnes() throws Exception {
        smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", "No such user");
        var props = smtp.mailProperties();
        props.put("mail.smtp.sendpartial", "true");

        assertThatThrownBy(() -> Mail.send(props, "a@example.org", "s", "x", "good@example.org", "bounce@example.org"))
                .isInstanceOf(SendFailedException.class);

        assertThat(smtp.awaitMessage().recipients()).containsExactly("good@example.org");
    }

    static String allMessages(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() != null ? t.getCause()
                : t instanceof MessagingException m ? m.getNextException() : null) {
            s.append(t.getMessage()).append('\n');
            if (t instanceof MessagingException m && m.getNextException() != null && t.getCause() == null) {
                continue;
            }
        }
        return s.toString();
    }
}
