package io.smtpkit.testkit;

import static io.smtpkit.testkit.SmtpServerExtensionTest.allMessages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scripted answers carried out in the server's handler hooks (connect, EHLO, MAIL, RCPT, end of
 * data): each one reaches a real client, Angus Mail, as the reply or the delay it scripts.
 */
class HandlerFaultsTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.create();

    @Test
    void refusalAtConnect() {
        smtp.whenConnect().reply(554, "5.7.1", "No SMTP service here");

        assertThatThrownBy(() -> send("a@example.org", "b@example.org"))
                .isInstanceOf(MessagingException.class)
                .satisfies(e -> assertThat(allMessages(e)).contains("554").contains("No SMTP service here"));
    }

    @Test
    void refusalAtEhloAndHelo() {
        Script refusal = smtp.whenHello().reply(550, "5.7.1", "Not you");

        assertThatThrownBy(() -> send("a@example.org", "b@example.org"))
                .isInstanceOf(MessagingException.class)
                .satisfies(e -> assertThat(allMessages(e)).contains("Not you"));
        assertThat(refusal.fired()).isEqualTo(2); // Angus falls back from EHLO to HELO
    }

    @Test
    void a421AtMailClosesTheConnection() throws Exception {
        smtp.whenMail().reply(421, "4.3.2", "Shutting down");

        try (SmtpClient client = SmtpClient.connect(new InetSocketAddress(smtp.host(), smtp.port()))) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.pipeline("HELO c", "MAIL FROM:<a@example.org>"))
                    .containsExactly("250 localhost", "421 Shutting down"); // HELO: no enhanced codes
            assertThat(client.closedByServer()).isTrue();
        }
        // Angus Mail sees it too (as the 421, or as the broken pipe of its RSET after it).
        assertThatThrownBy(() -> send("a@example.org", "b@example.org")).isInstanceOf(MessagingException.class);
    }

    @Test
    void mailScriptMatchesItsSenderOnly() throws Exception {
        smtp.whenMail("spammer@example.org").reply(550, "5.7.1", "Go away");

        assertThatThrownBy(() -> send("Spammer@example.org", "b@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("550 5.7.1 Go away"));
        send("friend@example.org", "b@example.org");

        assertThat(smtp.awaitMessage().sender()).isEqualTo("friend@example.org");
    }

    @Test
    void multiLineReply() {
        smtp.whenRcpt("bounce@example.org").reply(550, "5.1.1", List.of("No such user here", "Try the website"));

        assertThatThrownBy(() -> send("a@example.org", "bounce@example.org"))
                .isInstanceOf(SendFailedException.class)
                .satisfies(e -> assertThat(allMessages(e)).contains("550-5.1.1 No such user here")
                        .contains("550 5.1.1 Try the website"));
    }

    @Test
    void timesLimitsAScriptAndAttemptPicksOneTry() throws Exception {
        Script twice = smtp.whenRcpt().reply(450, "4.2.0", "Mailbox busy").times(2);

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> send("a@example.org", "b@example.org"))
                    .satisfies(e -> assertThat(allMessages(e)).contains("450 4.2.0 Mailbox busy"));
        }
        send("a@example.org", "b@example.org");

        assertThat(twice.fired()).isEqualTo(2);
        assertThat(smtp.awaitMessages(1)).hasSize(1);
        assertThat(smtp.clientRetriedAfterTransientFailure()).isTrue();
    }

    @Test
    void attemptRefusesOnlyTheNthTry() throws Exception {
        Script second = smtp.whenMail().attempt(2).reply(451, "4.3.0", "Second time unlucky");

        send("a@example.org", "b@example.org");
        assertThatThrownBy(() -> send("a@example.org", "b@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("Second time unlucky"));
        send("a@example.org", "b@example.org");

        assertThat(smtp.awaitMessages(2)).hasSize(2);
        assertThat(second.fired()).isEqualTo(1);
    }

    @Test
    void noRetryIsNoticedToo() throws Exception {
        smtp.whenRcpt("x@example.org").reply(450, "4.2.0", "Busy").once();

        assertThatThrownBy(() -> send("a@example.org", "x@example.org")).isInstanceOf(MessagingException.class);
        send("a@example.org", "other@example.org"); // another recipient is not a retry

        smtp.awaitMessage();
        assertThat(smtp.clientRetriedAfterTransientFailure()).isFalse();
    }

    @Test
    void greylistingRefusesThePairOnceThenAccepts() throws Exception {
        Script greylist = smtp.greylist();

        assertThatThrownBy(() -> send("a@example.org", "b@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("451 4.7.1 Greylisted"));
        send("a@example.org", "b@example.org");

        assertThat(smtp.awaitMessage().recipients()).containsExactly("b@example.org");
        assertThat(greylist.fired()).isEqualTo(1);
        assertThat(smtp.clientRetriedAfterTransientFailure()).isTrue();
        // A new pair is greylisted again.
        assertThatThrownBy(() -> send("a@example.org", "c@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("451 4.7.1"));
    }

    @Test
    void refusalAtTheEndOfDataKeepsNothing() {
        smtp.whenMessage().to("b@example.org").reply(552, "5.3.4", "Too much");

        assertThatThrownBy(() -> send("a@example.org", "b@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("552 5.3.4 Too much"));

        smtp.assertNoMessagesFor(Duration.ofMillis(100));
    }

    @Test
    void delayAtTheEndOfDataIsFeltByTheClient() throws Exception {
        smtp.whenMessage().delay(Duration.ofMillis(600)).accept().once();

        long start = System.nanoTime();
        send("a@example.org", "b@example.org");
        long tookMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(tookMillis).isGreaterThanOrEqualTo(600);
        assertThat(smtp.awaitMessage()).isNotNull();
    }

    @Test
    void delayLongerThanTheClientsTimeoutFailsTheClient() {
        smtp.whenRcpt().delay(Duration.ofSeconds(2)).accept();
        Properties props = smtp.mailProperties();
        props.put("mail.smtp.timeout", "300");

        assertThatThrownBy(() -> Mail.send(props, "a@example.org", "s", "x", "b@example.org"))
                .isInstanceOf(MessagingException.class)
                .satisfies(e -> assertThat(causes(e)).anyMatch(c -> c instanceof SocketTimeoutException));
        smtp.assertNoMessagesFor(Duration.ofMillis(100));
    }

    @Test
    void scriptsCanBeOptional() {
        smtp.whenRcpt("nobody@example.org").reply(550, "5.1.1", "No").optional();
        // Not sending anything: the optional script does not fail the test.
    }

    @Test
    void scriptArgumentsAreChecked() {
        assertThatThrownBy(() -> smtp.whenMessage().disconnect())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("disconnectAfter");
        assertThatThrownBy(() -> smtp.whenData().reply(250, "2.0.0", "fine"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only a refusal");
        assertThatThrownBy(() -> smtp.whenConnect().from("a@example.org"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> smtp.whenRcpt().disconnectAfter(10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(smtp.scripts()).isEmpty();
    }

    private static void send(String from, String to) throws MessagingException {
        Mail.send(smtp, from, "s", "x", to);
    }

    static List<Throwable> causes(Throwable e) {
        List<Throwable> all = new java.util.ArrayList<>();
        for (Throwable t = e; t != null && all.size() < 10; ) {
            all.add(t);
            t = t.getCause() != null ? t.getCause() : t instanceof MessagingException m ? m.getNextException() : null;
        }
        return all;
    }

    @Test
    void aScriptedDelayEndsWhenTheServerStops() throws Exception {
        SmtpServerExtension own = SmtpServerExtension.create().start();
        Script slow = own.whenMessage().delay(Duration.ofMinutes(10)).accept();
        try (SmtpClient client = SmtpClient.connect(new InetSocketAddress(own.host(), own.port()))) {
            client.reply();
            client.command("EHLO c");
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<b@example.org>");
            assertThat(client.command("DATA")).startsWith("354");
            client.send("Subject: s\r\n\r\nx\r\n.\r\n");
            long deadline = System.nanoTime() + SmtpClient.DEADLINE.toNanos();
            while (slow.fired() == 0 && System.nanoTime() < deadline) {
                Thread.onSpinWait(); // until the hook is inside its delay
            }
            assertThat(slow.fired()).isEqualTo(1);

            own.close();

            // The hook left its delay when the server stopped and the message was answered;
            // before, the hook slept on, the connection was cut and the client read no reply.
            assertThat(client.reply()).startsWith("250");
        } finally {
            own.close();
        }
    }
}
