package io.smtpkit.testkit;

import static io.smtpkit.testkit.HandlerFaultsTest.causes;
import static io.smtpkit.testkit.SmtpServerExtensionTest.allMessages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What goes through the server's ConnectionTap: transcripts, the facts of how the client spoke
 * SMTP, refusals at DATA and QUIT, and socket effects (disconnect, cut mid-DATA, stall, delay,
 * throttled reading), each seen by a real client.
 */
class TapFaultsTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.builder().tls().user("alice", "wonderland").build();

    @Test
    void transcriptAndProtocolFacts() throws Exception {
        Properties props = smtp.mailProperties();
        props.put("mail.smtp.auth.mechanisms", "PLAIN");
        Session session = Session.getInstance(props);
        Transport.send(Mail.message(session, "alice@example.org", "s", "x", "b@example.org"), "alice", "wonderland");
        smtp.awaitMessage();

        ClientSession s = smtp.sessions().get(0);
        String transcript = String.join("\n", s.transcript());
        assertThat(transcript).contains("C: EHLO ", "S: 250-", "C: STARTTLS", "-- TLS started: TLSv1.3",
                "C: AUTH PLAIN ****", "S: 235 2.7.0 Authentication successful", "C: MAIL FROM:<alice@example.org>",
                "C: DATA", "S: 354 ").doesNotContain("wonderland").doesNotContain("AGFsaWNl");
        assertThat(s.usedStartTls()).isTrue();
        assertThat(s.authMechanism()).isEqualTo("PLAIN");
        assertThat(smtp.authMechanisms()).containsExactly("PLAIN");
        assertThat(smtp.clientPipelined()).isFalse(); // Angus waits for each reply
    }

    @Test
    void aFailedWaitShowsTheWireTranscript() throws Exception {
        smtp.whenRcpt("gone@example.org").reply(550, "5.1.1", "No such user");
        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "x", "gone@example.org"))
                .isInstanceOf(MessagingException.class);

        assertThatThrownBy(() -> smtp.awaitMessages(1, Duration.ofMillis(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("but 0 arrived")
                .hasMessageContaining("C: RCPT TO:<gone@example.org>")
                .hasMessageContaining("S: 550 5.1.1 No such user");
    }

    @Test
    void pipeliningIsNoticed() throws Exception {
        try (SmtpClient client = SmtpClient.connect(new InetSocketAddress(smtp.host(), smtp.port()))) {
            client.reply();
            client.command("EHLO c");
            assertThat(client.pipeline("MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>", "QUIT"))
                    .extracting(r -> r.substring(0, 3)).containsExactly("250", "250", "221");
        }
        assertThat(smtp.clientPipelined()).isTrue();
    }

    @Test
    void refusalAtData() {
        smtp.whenData().reply(554, "5.7.1", "No data today");

        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "x", "b@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("554 5.7.1 No data today"));
        smtp.assertNoMessagesFor(Duration.ofMillis(100));
    }

    @Test
    void aDataRefusalLeavesBdatAlone() throws Exception {
        // BDAT's chunk follows the command at once: the server cannot refuse it, so the script must not claim it did.
        Script refusal = smtp.whenData().reply(554, "5.7.1", "No data today").optional();
        try (SmtpClient client = SmtpClient.connect(new InetSocketAddress(smtp.host(), smtp.port()))) {
            client.reply();
            assertThat(client.command("EHLO c")).contains("CHUNKING");
            assertThat(client.pipeline("MAIL FROM:<a@example.org>", "RCPT TO:<b@example.org>")).allMatch(r -> r.startsWith("250"));
            client.send("BDAT 22 LAST\r\nSubject: chunk\r\n\r\nhi\r\n");
            assertThat(client.reply()).startsWith("250");
        }

        assertThat(smtp.awaitMessage().subject()).isEqualTo("chunk");
        assertThat(refusal.fired()).isZero();
    }

    @Test
    void refusalAndDisconnectAtQuit() throws Exception {
        smtp.whenQuit().attempt(1).reply(502, "5.5.1", "Not yet");
        smtp.whenQuit().attempt(2).disconnect();
        try (SmtpClient client = SmtpClient.connect(new InetSocketAddress(smtp.host(), smtp.port()))) {
            client.reply();
            assertThat(client.command("QUIT")).isEqualTo("502 Not yet"); // no EHLO: no enhanced codes
            client.send("QUIT\r\n");
            assertThat(client.closedByServer()).isTrue(); // without a 221
        }
    }

    @Test
    void disconnectBeforeTheGreeting() {
        smtp.whenConnect().disconnect().once();

        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "x", "b@example.org"))
                .isInstanceOf(MessagingException.class);
        assertThat(smtp.sessions()).singleElement().satisfies(s -> assertThat(s.transcript()).contains("-- scripted "
                + "whenConnect().disconnect()"));
    }

    @Test
    void disconnectAtMail() {
        smtp.whenMail().disconnect();

        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "x", "b@example.org"))
                .isInstanceOf(MessagingException.class);
        smtp.assertNoMessagesFor(Duration.ofMillis(100));
    }

    @Test
    void disconnectInTheMiddleOfTheContent() {
        smtp.whenData().disconnectAfter(1000);

        assertThatThrownBy(() -> Mail.send(smtp, "a@example.org", "s", "y".repeat(20_000), "b@example.org"))
                .isInstanceOf(MessagingException.class);
        smtp.assertNoMessagesFor(Duration.ofMillis(200));
        assertThat(String.join("\n", smtp.sessions().get(0).transcript())).contains("-- cut after 1000 octets");
    }

    @Test
    void stallMakesTheClientTimeOut() {
        smtp.whenRcpt().stall();
        Properties props = smtp.mailProperties();
        props.put("mail.smtp.timeout", "500");

        assertThatThrownBy(() -> Mail.send(props, "a@example.org", "s", "x", "b@example.org"))
                .satisfies(e -> assertThat(causes(e)).anyMatch(c -> c instanceof SocketTimeoutException));
    }

    @Test
    void delayBeforeData() throws Exception {
        smtp.whenData().delay(Duration.ofMillis(500)).accept();

        long start = System.nanoTime();
        Mail.send(smtp, "a@example.org", "s", "x", "b@example.org");

        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(500);
    }

    @Test
    void throttledReadingSlowsTheClientDown() throws Exception {
        smtp.whenData().throttle(100_000);
        int octets = 200_000;

        long start = System.nanoTime();
        Mail.send(smtp, "a@example.org", "s", "z".repeat(octets), "b@example.org");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        // The server reads 100 kB/s whatever the socket buffers hold, and answers after the last octet.
        assertThat(tookMillis).isGreaterThanOrEqualTo(1500);
        assertThat(smtp.awaitMessage().content()).contains("zzzz");
    }
}
