package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.testsupport.SmtpClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** {@link SmtpHandler.NonBlocking}: where hooks run, and that a failing one is still contained. */
class NonBlockingHandlerTest {

    /** Records the thread each hook ran on; refuses one recipient and fails on one message. */
    static class Recorder implements SmtpHandler {
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
            threads.add(Thread.currentThread().getName());
            return recipient.localPart().equals("nobody") ? Reply.MAILBOX_UNAVAILABLE : null;
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            threads.add(Thread.currentThread().getName());
            if (new String(message.bytes(), java.nio.charset.StandardCharsets.US_ASCII).contains("explode")) {
                throw new IllegalStateException("boom");
            }
            return null;
        }
    }

    static final class NonBlockingRecorder extends Recorder implements SmtpHandler.NonBlocking {}

    private static void transactions(SmtpServer server) throws Exception {
        try (SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "Subject: ok\r\n\r\nfine"));
            c.command("MAIL FROM:<a@example.org>");
            assertTrue(c.command("RCPT TO:<nobody@example.org>").startsWith("550 5.1.1"));
            assertTrue(c.command("RCPT TO:<b@example.org>").startsWith("250"));
            c.command("DATA");
            assertTrue(c.command("Subject: x\r\n\r\nexplode\r\n.").startsWith("451 4.3.0"));
            assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "Subject: again\r\n\r\nstill serving"));
        }
    }

    @Test
    void hooksOfANonBlockingHandlerRunOnTheEventLoopAndFailuresStayContained() throws Exception {
        NonBlockingRecorder handler = new NonBlockingRecorder();
        try (SmtpServer server = server(handler).build().start()) {
            transactions(server);
        }
        assertEquals(7, handler.threads.size(), handler.threads.toString());
        assertTrue(handler.threads.stream().allMatch(name -> name.startsWith("smtpkit-loop-")), handler.threads.toString());
    }

    @Test
    void hooksOfAnOrdinaryHandlerNeverRunOnTheEventLoop() throws Exception {
        Recorder handler = new Recorder();
        try (SmtpServer server = server(handler).build().start()) {
            transactions(server);
        }
        assertEquals(7, handler.threads.size(), handler.threads.toString());
        handler.threads.forEach(name -> assertFalse(name.startsWith("smtpkit-loop"), name));
    }
}
