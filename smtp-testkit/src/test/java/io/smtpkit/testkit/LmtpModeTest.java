package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code builder().lmtp()}: LHLO, one reply per recipient after the data, scripts per recipient. */
class LmtpModeTest {

    @RegisterExtension
    static final SmtpServerExtension smtp = SmtpServerExtension.builder().lmtp().build();

    private static SmtpClient transaction(String... recipients) throws Exception {
        SmtpClient c = SmtpClient.connect(new InetSocketAddress(smtp.host(), smtp.port()));
        assertThat(c.reply()).startsWith("220");
        assertThat(c.command("EHLO client.example")).startsWith("500"); // RFC 2033 §4.1
        assertThat(c.command("LHLO client.example")).startsWith("250");
        assertThat(c.command("MAIL FROM:<a@example.org>")).startsWith("250");
        for (String r : recipients) {
            assertThat(c.command("RCPT TO:<" + r + ">")).startsWith("250");
        }
        assertThat(c.command("DATA")).startsWith("354");
        c.send("Subject: lists\r\n\r\nhello\r\n.\r\n");
        return c;
    }

    @Test
    void anEndOfDataScriptRefusesOneRecipientAndTheOthersTakeTheMessage() throws Exception {
        smtp.whenMessage().to("full@example.org").reply(452, "4.2.2", "Mailbox full");
        try (SmtpClient c = transaction("one@example.org", "full@example.org", "two@example.org")) {
            assertThat(List.of(c.reply(), c.reply(), c.reply()))
                    .containsExactly("250 2.0.0 OK", "452 4.2.2 Mailbox full", "250 2.0.0 OK");
        }
        ReceivedMessage m = smtp.awaitMessages(1, Duration.ofSeconds(10)).get(0);
        assertThat(m.recipients()).containsExactly("one@example.org", "full@example.org", "two@example.org");
        assertThat(m.subject()).isEqualTo("lists");
    }

    @Test
    void everyRecipientRefusedKeepsNoMessage() throws Exception {
        smtp.whenMessage().reply(550, "5.1.1", "No such list");
        try (SmtpClient c = transaction("x@example.org", "y@example.org")) {
            assertThat(List.of(c.reply(), c.reply()))
                    .containsExactly("550 5.1.1 No such list", "550 5.1.1 No such list");
        }
        smtp.assertNoMessagesFor(Duration.ofMillis(300));
    }
}
