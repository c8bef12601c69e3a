package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.TestSupport.Received;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A client that pipelines hundreds of transactions while reading its replies slowly through a
 * small receive buffer, against hooks that pause the session at random: every pause, back-pressure
 * and resume path runs, and every reply and message must still come out whole and in order.
 */
class OrderingStressTest {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void pipelinedTransactionsWithSlowHooksAndASlowReader(boolean tls) throws Exception {
        Capture capture = new Capture() {
            @Override
            public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) throws Exception {
                pause();
                return null;
            }

            @Override
            public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) throws Exception {
                pause();
                return recipient.localPart().endsWith("7") ? Reply.MAILBOX_UNAVAILABLE : null;
            }

            private void pause() throws InterruptedException {
                if (ThreadLocalRandom.current().nextInt(4) == 0) {
                    Thread.sleep(1);
                }
            }
        };
        int transactions = 400;
        try (SmtpServer server = server(capture).receivedHeader(false).tls(TestSupport.serverTls()).build().start()) {
            SmtpClient c = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0.1", 0));
            try (c) {
                c.socket().setReceiveBufferSize(2048);
                c.reply();
                c.command("EHLO x.example");
                if (tls) {
                    c.command("STARTTLS");
                    c.startTls(TestSupport.trustAll());
                    c.command("EHLO x.example");
                }
                StringBuilder burst = new StringBuilder();
                for (int i = 0; i < transactions; i++) {
                    burst.append("EHLO x").append(i).append(".example\r\n")
                            .append("MAIL FROM:<s").append(i).append("@example.org>\r\n")
                            .append("RCPT TO:<r").append(i).append("@example.org>\r\n")
                            .append("RCPT TO:<extra@example.org>\r\n")
                            .append("DATA\r\n")
                            .append("body ").append(i).append("\r\n").append("z".repeat(i % 300)).append("\r\n.\r\n");
                }
                AtomicReference<IOException> writeFailure = new AtomicReference<>();
                Thread writer = new Thread(() -> {
                    try {
                        c.send(burst.toString());
                    } catch (IOException e) {
                        writeFailure.set(e);
                    }
                });
                writer.start();
                for (int i = 0; i < transactions; i++) {
                    assertTrue(c.reply().startsWith("250-localhost"), "EHLO " + i);
                    assertEquals("250 2.1.0 OK", c.reply(), "MAIL " + i);
                    String rcpt = c.reply();
                    assertEquals(i % 10 == 7 ? "550 5.1.1 Mailbox unavailable" : "250 2.1.5 OK", rcpt, "RCPT " + i);
                    assertEquals("250 2.1.5 OK", c.reply(), "second RCPT " + i);
                    assertTrue(c.reply().startsWith("354"), "DATA " + i);
                    assertEquals("250 2.0.0 OK", c.reply(), "end of data " + i);
                    if (i % 50 == 0) {
                        Thread.sleep(20); // read slowly now and then: the server's output backs up
                    }
                }
                writer.join(30_000);
                assertEquals(null, writeFailure.get());
            }
            for (int i = 0; i < transactions; i++) {
                Received r = capture.take();
                assertEquals("s" + i + "@example.org", r.envelope().reversePath().address());
                assertEquals("body " + i + "\r\n" + "z".repeat(i % 300) + "\r\n", r.text());
            }
        }
    }
}
