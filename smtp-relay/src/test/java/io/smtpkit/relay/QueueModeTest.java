package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.relay.queue.RecipientState;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay in queue mode ({@code -o queue=DIR}) between a client and a second smtpkit server,
 * with retry times in seconds: the 250 comes from the queue, delivery from the runner.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueueModeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final Next next = new Next();

    /** The next hop: records every attempt; {@code later@} 451 and {@code refuse@} 550 as in {@link Upstreams}; {@code flaky@} 451 twice, then 250. */
    static final class Next implements SmtpHandler {
        final List<Upstreams.Received> delivered = new CopyOnWriteArrayList<>();
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger flaky = new AtomicInteger();

        @Override
        public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
            return recipient.localPart().equals("refuse") ? Reply.of(550, "5.1.1", "No such user here") : null;
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            attempts.incrementAndGet();
            String first = envelope.recipients().get(0).localPart();
            if (first.equals("later") || first.equals("flaky") && flaky.incrementAndGet() <= 2) {
                return Reply.of(451, "4.3.0", "Queue trouble, try later");
            }
            delivered.add(new Upstreams.Received(session, envelope, message.bytes(), false, null));
            return Reply.of(250, "2.0.0", "Ok: taken");
        }

        List<Upstreams.Received> to(String address) {
            return delivered.stream().filter(r -> r.envelope().recipientAddresses().contains(address)).toList();
        }
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private SmtpServer upstream() throws IOException {
        SmtpServer s = Upstreams.start(next, c -> c, b -> b);
        closing.add(s);
        return s;
    }

    private QueuedRelayHandler handler;

    private SmtpServer relay(SmtpServer upstream, String... options) throws IOException {
        return relay(Upstreams.hostPort(upstream), options);
    }

    private SmtpServer relay(String upstream, String... options) throws IOException {
        Map<String, String> o = new HashMap<>();
        o.put("upstream", upstream);
        o.put("queue", dir.resolve("queue").toString());
        o.put("queue-reserve", "0");
        o.put("retry-min", "1s");
        o.put("retry-max", "2s");
        for (String option : options) {
            int eq = option.indexOf('=');
            o.put(option.substring(0, eq), option.substring(eq + 1));
        }
        handler = (QueuedRelayHandler) new RelayProvider().create(o);
        closing.add(handler);
        SessionConfig config = SessionConfig.builder().hostname("relay.test").smtpUtf8(true).dsn(true)
                .maxMessageSize(2L << 30).build(); // so SIZE may declare more than the free space
        SmtpServer s = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).config(config)
                .handler(handler).build().start();
        closing.add(s);
        return s;
    }

    private SmtpClient client(SmtpServer relay) throws IOException {
        SmtpClient c = SmtpClient.connect(relay.addresses().get(0), null);
        closing.add(c);
        return Upstreams.greet(c);
    }

    private String send(SmtpServer relay, String from, String content, String... to) throws IOException {
        SmtpClient c = client(relay);
        assertTrue(c.command("MAIL FROM:<" + from + ">").startsWith("250"));
        for (String r : to) {
            String reply = c.command("RCPT TO:<" + r + ">");
            assertTrue(reply.startsWith("250"), r + ": " + reply);
        }
        return Upstreams.data(c, content);
    }

    private QueueStore store() {
        return handler.store();
    }

    private static String tail(byte[] content, String marker) {
        String s = new String(content, StandardCharsets.UTF_8);
        return s.substring(s.indexOf(marker));
    }

    /** The DSN parsed by Angus Mail: the machine-readable part as text, checked to be a delivery-status report. */
    private static String deliveryStatus(byte[] dsn) throws Exception {
        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(dsn));
        assertTrue(m.getContentType().startsWith("multipart/report"), m.getContentType());
        assertTrue(m.getContentType().contains("report-type=delivery-status"), m.getContentType());
        MimeMultipart parts = (MimeMultipart) m.getContent();
        assertEquals(3, parts.getCount());
        BodyPart status = parts.getBodyPart(1);
        assertTrue(status.isMimeType("message/delivery-status"), status.getContentType());
        assertTrue(parts.getBodyPart(2).isMimeType("text/rfc822-headers"), parts.getBodyPart(2).getContentType());
        Object c = status.getContent();
        String text = c instanceof InputStream in ? new String(in.readAllBytes(), StandardCharsets.US_ASCII) : c.toString();
        String headers;
        Object h = parts.getBodyPart(2).getContent();
        headers = h instanceof InputStream in ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : h.toString();
        return text + "\n--headers--\n" + headers;
    }

    @Test
    void theClientsTwoHundredFiftyComesFromTheQueueAndTheMessageArrivesWhole() throws Exception {
        SmtpServer relay = relay(upstream());
        String content = "Subject: queued\r\n\r\nline one\r\n.dot line\r\n" + "x".repeat(5000) + "\r\n";

        String reply = send(relay, "alice@example.org", content, "bob@example.net", "carol@example.net");

        assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
        Eventually.await(() -> next.delivered.size() == 1, WAIT, "the message delivered");
        Upstreams.Received r = next.delivered.get(0);
        assertEquals(List.of("bob@example.net", "carol@example.net"), r.envelope().recipientAddresses());
        assertEquals("alice@example.org", r.envelope().reversePath().address());
        assertEquals(content, tail(r.content(), "Subject: queued"));
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
    }

    private List<QueuedMessage> uncheckedList() {
        try {
            return store().list();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aDeferralIsRetriedUntilTheNextHopTakesIt() throws Exception {
        SmtpServer relay = relay(upstream());

        assertTrue(send(relay, "alice@example.org", "Subject: flaky\r\n\r\nbody\r\n", "flaky@example.net").startsWith("250"));

        Eventually.await(() -> next.delivered.size() == 1, WAIT, "delivered after two 451s");
        assertEquals(3, next.attempts.get(), "two deferrals then the delivery");
        assertEquals(List.of(), next.to("alice@example.org"), "no notification for a message delivered in time");
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
    }

    @Test
    void aRecipientDeferredPastItsLifetimeFailsWithOneNotification() throws Exception {
        SmtpServer relay = relay(upstream(), "lifetime=3s");

        assertTrue(send(relay, "alice@example.org", "Subject: never\r\nMessage-ID: <m1@example.org>\r\n\r\nbody\r\n",
                "later@example.net").startsWith("250"));

        Eventually.await(() -> next.to("alice@example.org").size() == 1, WAIT, "the failure notification");
        Upstreams.Received dsn = next.to("alice@example.org").get(0);
        assertTrue(dsn.envelope().reversePath().isNull(), "a notification comes from <>");
        String status = deliveryStatus(dsn.content());
        assertTrue(status.contains("Final-Recipient: rfc822; later@example.net"), status);
        assertTrue(status.contains("Action: failed"), status);
        assertTrue(status.contains("Status: 4.3.0"), status);
        assertTrue(status.contains("Diagnostic-Code: smtp; 451 4.3.0 Queue trouble, try later"), status);
        assertTrue(status.contains("Message-ID: <m1@example.org>"), status);
        assertTrue(next.attempts.get() >= 2, "retried before giving up: " + next.attempts.get());
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
        assertEquals(1, next.to("alice@example.org").size(), "one notification");
    }

    @Test
    void aPermanentRefusalOfOneOfThreeRecipientsGivesOneNotificationAndTwoDeliveries() throws Exception {
        SmtpServer relay = relay(upstream());

        assertTrue(send(relay, "alice@example.org", "Subject: three\r\n\r\nbody\r\n",
                "bob@example.net", "refuse@example.net", "carol@example.net").startsWith("250"));

        Eventually.await(() -> next.delivered.size() == 2, WAIT, "the message and the notification");
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
        List<Upstreams.Received> message = next.to("bob@example.net");
        assertEquals(1, message.size());
        assertEquals(List.of("bob@example.net", "carol@example.net"), message.get(0).envelope().recipientAddresses());
        List<Upstreams.Received> dsn = next.to("alice@example.org");
        assertEquals(1, dsn.size());
        String status = deliveryStatus(dsn.get(0).content());
        assertTrue(status.contains("Final-Recipient: rfc822; refuse@example.net"), status);
        assertTrue(status.contains("Action: failed"), status);
        assertTrue(status.contains("Status: 5.1.1"), status);
        assertTrue(!status.contains("bob@example.net") && !status.contains("carol@example.net"), status);
        assertEquals(1, next.attempts.get() - 1, "one attempt for the message, one for the notification");
    }

    @Test
    void aNullReversePathGetsNoNotification() throws Exception {
        SmtpServer relay = relay(upstream());
        assertTrue(send(relay, "", "Subject: bounce\r\n\r\nbody\r\n", "refuse@example.net", "bob@example.net").startsWith("250"));
        Eventually.await(() -> next.delivered.size() == 1, WAIT, "delivered to bob");
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
        assertEquals(1, next.delivered.size(), "nothing for <>");
    }

    @Test
    void notifyNeverMeansNoNotification() throws Exception {
        SmtpServer relay = relay(upstream());
        SmtpClient c = client(relay);
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<refuse@example.net> NOTIFY=NEVER").startsWith("250"));
        assertTrue(c.command("RCPT TO:<refuse@example.org> NOTIFY=SUCCESS").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        assertTrue(Upstreams.data(c, "Subject: quiet\r\n\r\nbody\r\n").startsWith("250"));
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
        assertEquals(1, next.delivered.size(), "bob's copy, and no notification: " + next.delivered);
        assertEquals(List.of("bob@example.net"), next.delivered.get(0).envelope().recipientAddresses());
    }

    @Test
    void aDelayWarningIsSentOnceWhileDeliveryGoesOn() throws Exception {
        SmtpServer relay = relay(upstream(), "delay-warning=1s", "lifetime=1h");

        assertTrue(send(relay, "alice@example.org", "Subject: slow\r\n\r\nbody\r\n", "later@example.net").startsWith("250"));

        Eventually.await(() -> next.to("alice@example.org").size() == 1, WAIT, "the delay warning");
        String status = deliveryStatus(next.to("alice@example.org").get(0).content());
        assertTrue(status.contains("Action: delayed"), status);
        assertTrue(status.contains("Status: 4.3.0"), status);
        int seen = next.attempts.get();
        Eventually.await(() -> next.attempts.get() >= seen + 2, WAIT, "two more attempts");
        assertEquals(1, next.to("alice@example.org").size(), "one warning only");
        QueuedMessage m = store().list().get(0);
        assertEquals(RecipientState.State.DEFERRED, m.recipients().get(0).state());
        assertEquals("451 4.3.0 Queue trouble, try later", m.recipients().get(0).lastReply());
    }

    @Test
    void policyAnswersRcptWithoutTheNextHop() throws Exception {
        SmtpServer up = upstream();
        up.close(); // nobody at the next hop: queue mode must still take mail
        SmtpServer relay = relay(up);
        SmtpClient c = client(relay);
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals("250 2.1.5 OK", c.command("RCPT TO:<bob@example.net>"));
        assertTrue(Upstreams.data(c, "Subject: x\r\n\r\ny\r\n").startsWith("250 2.0.0 Ok: queued as"));
        Eventually.await(() -> uncheckedList().size() == 1 && uncheckedList().get(0).attempts() >= 1, WAIT, "an attempt");
        QueuedMessage m = store().list().get(0);
        assertEquals(RecipientState.State.DEFERRED, m.recipients().get(0).state());
        assertTrue(m.recipients().get(0).lastReply().startsWith("451 4.4.1"), m.recipients().get(0).lastReply());
    }

    @Test
    void aQueueWithoutRoomAnswers452AndOneWithRoomTakesTheMessage() throws Exception {
        SmtpServer full = relay(upstream(), "queue-reserve=" + Long.MAX_VALUE / 2);
        SmtpClient c = client(full);
        assertEquals("452 4.3.1 Insufficient system storage; try again later", c.command("MAIL FROM:<alice@example.org>"));
        assertEquals(List.of(), store().list());
        handler.close();

        dir = dir.resolve("other");
        SmtpServer roomy = relay(upstream(), "queue-reserve=0");
        assertTrue(send(roomy, "alice@example.org", "Subject: fits\r\n\r\nbody\r\n", "bob@example.net").startsWith("250"));
    }

    @Test
    void theFreeSpaceIsCheckedAgainstTheMessagesSize() throws Exception {
        SmtpServer up = upstream();
        long free = java.nio.file.Files.getFileStore(dir).getUsableSpace();
        // A reserve 256 MiB under the free space leaves room for a small message but not for one
        // declared at 1 GiB; the margins are wide because other processes write to this disk too.
        SmtpServer relay = relay(up, "queue-reserve=" + Math.max(0, free - (256L << 20)));
        SmtpClient c = client(relay);
        assertEquals("452 4.3.1 Insufficient system storage; try again later",
                c.command("MAIL FROM:<alice@example.org> SIZE=" + (1L << 30)));
        assertTrue(c.command("MAIL FROM:<alice@example.org> SIZE=1000").startsWith("250"));
    }

    @Test
    void aRestartDeliversWhatTheLastRunLeft() throws Exception {
        SmtpServer up = upstream();
        String hop = Upstreams.hostPort(up);
        int port = up.port();
        up.close();
        SmtpServer relay = relay(hop);
        assertTrue(send(relay, "alice@example.org", "Subject: kept\r\n\r\nbody\r\n", "bob@example.net").startsWith("250"));
        relay.close();
        handler.close();
        assertEquals(0, next.attempts.get());

        SmtpServer again = Upstreams.start(next, c -> c, b -> b.listen(new InetSocketAddress("127.0.0.1", port)));
        closing.add(again);
        relay(hop);
        Eventually.await(() -> next.delivered.size() == 1, WAIT, "delivered after the restart");
        assertTrue(tail(next.delivered.get(0).content(), "Subject: kept").startsWith("Subject: kept\r\n\r\nbody\r\n"));
        Eventually.await(() -> uncheckedList().isEmpty(), WAIT, "the queue emptied");
    }
}
