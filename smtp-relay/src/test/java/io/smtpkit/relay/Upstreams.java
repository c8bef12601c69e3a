package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The next hop in the relay's tests: a second smtpkit server whose handler records what arrived
 * and answers by recipient local part, so a test picks its fault by address: {@code refuse@}
 * 550 at RCPT, {@code busy@} 452 at RCPT, {@code later@} 451 after the data, {@code reject@} 554
 * after the data, {@code stall@} holds the reply after the data until {@link #release()}.
 */
final class Upstreams {

    private Upstreams() {}

    /** One message as the next hop received it. */
    record Received(SessionContext session, Envelope envelope, byte[] content, boolean secure, String user) {}

    static final class Capture implements SmtpHandler {
        final List<Received> messages = new CopyOnWriteArrayList<>();
        final List<String> mails = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public Reply onConnect(SessionContext session) {
            connections.incrementAndGet();
            return null;
        }

        @Override
        public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
            mails.add(reversePath.address() + " " + parameters);
            return null;
        }

        @Override
        public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
            return switch (recipient.localPart()) {
                case "refuse" -> Reply.of(550, "5.1.1", "No such user here");
                case "busy" -> Reply.of(452, "4.2.2", "Mailbox full, try later");
                default -> null;
            };
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            String first = envelope.recipients().get(0).localPart();
            if (first.equals("stall")) {
                stalled.countDown();
                release.await();
                return Reply.of(250, "2.0.0", "too late");
            }
            messages.add(new Received(session, envelope, message.bytes(), session.protocol().isSecure(), session.authenticatedUser()));
            return switch (first) {
                case "later" -> Reply.of(451, "4.3.0", "Queue trouble, try later");
                case "reject" -> Reply.of(554, "5.6.0", "Content refused");
                default -> Reply.of(250, "2.0.0", "Ok: queued as UP1");
            };
        }

        void release() {
            release.countDown();
        }
    }

    /** A started smtpkit server on 127.0.0.1, without its own Received header so content compares whole. */
    static SmtpServer start(SmtpHandler handler, UnaryOperator<SessionConfig.Builder> config,
            UnaryOperator<SmtpServer.Builder> server) throws IOException {
        SessionConfig.Builder c = config.apply(SessionConfig.builder().hostname("upstream.test").smtpUtf8(true).dsn(true));
        SmtpServer.Builder b = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).config(c.build())
                .handler(handler).receivedHeader(false);
        return server.apply(b).build().start();
    }

    static String hostPort(SmtpServer server) {
        return "127.0.0.1:" + server.port();
    }

    /** Reads the greeting and says EHLO, as every test's client does first. */
    static SmtpClient greet(SmtpClient c) throws IOException {
        assertTrue(c.reply().startsWith("220"));
        assertTrue(c.command("EHLO client.test").startsWith("250"));
        return c;
    }

    /** DATA, then the content dot-stuffed and ended; the reply after the data. */
    static String data(SmtpClient c, String content) throws IOException {
        String go = c.command("DATA");
        assertTrue(go.startsWith("354"), go);
        c.send(content.replace("\r\n.", "\r\n..") + ".\r\n");
        return c.reply();
    }
}
