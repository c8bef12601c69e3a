package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.HandlerOptionException;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lmtp handler between an SMTP client, an LMTP server (a second smtpkit in LMTP mode that
 * answers per recipient) and the relay's next hop (a capturing smtpkit), over real sockets.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LmtpHandlerTest {

    private static final String CONTENT = "From: alice@example.org\r\nSubject: hello list\r\n\r\nhi\r\n";

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final Upstreams.Capture relayed = new Upstreams.Capture();
    private final Mailman mailman = new Mailman();

    @AfterEach
    void close() throws Exception {
        relayed.release();
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    /** One message as the LMTP server received it. */
    record Delivered(List<String> recipients, String content) {}

    /**
     * Mailman's runner as far as the handler can tell: refuses {@code nolist@} at RCPT; after the
     * data, {@code gone@} 550 and {@code full@} 452 for themselves, everyone else 250.
     */
    static final class Mailman implements SmtpHandler {
        final List<Delivered> messages = new CopyOnWriteArrayList<>();

        @Override
        public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
            return recipient.localPart().equals("nolist") ? Reply.of(550, "5.1.1", "No such list") : null;
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
            throw new AssertionError("an LMTP server answers per recipient");
        }

        @Override
        public List<Reply> onMessagePerRecipient(SessionContext session, Envelope envelope, Message message) throws IOException {
            messages.add(new Delivered(envelope.recipientAddresses(), new String(message.bytes(), StandardCharsets.UTF_8)));
            return envelope.recipients().stream().map(r -> switch (r.localPart()) {
                case "gone" -> Reply.of(550, "5.1.1", "List gone");
                case "full" -> Reply.of(452, "4.2.2", "Held, try later");
                default -> Reply.of(250, "2.0.0", "Ok");
            }).toList();
        }
    }

    private SmtpServer mailmanServer() throws IOException {
        SmtpServer s = Upstreams.start(mailman, c -> c.lmtp(true).hostname("mailman.test"), b -> b);
        closing.add(s);
        return s;
    }

    private SmtpServer relayUpstream() throws IOException {
        SmtpServer s = Upstreams.start(relayed, c -> c, b -> b);
        closing.add(s);
        return s;
    }

    private SmtpServer handler(String... options) throws IOException {
        Map<String, String> o = new HashMap<>();
        for (String option : options) {
            int eq = option.indexOf('=');
            o.put(option.substring(0, eq), option.substring(eq + 1));
        }
        SmtpHandler h = new LmtpProvider().create(o);
        if (h instanceof AutoCloseable queue) {
            closing.add(queue); // closed after the server
        }
        SmtpServer s = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0))
                .config(SessionConfig.builder().hostname("mx.test").build()).handler(h).build().start();
        closing.add(s);
        return s;
    }

    /** The usual set-up: lists at lists.test and announce@example.org, the rest to the capturing upstream. */
    private SmtpServer standard() throws IOException {
        return handler("lmtp=" + Upstreams.hostPort(mailmanServer()), "lists=lists.test", "list=announce@example.org",
                "upstream=" + Upstreams.hostPort(relayUpstream()));
    }

    private SmtpClient client(SmtpServer server) throws IOException {
        SmtpClient c = SmtpClient.connect(server.addresses().get(0));
        closing.add(c);
        return Upstreams.greet(c);
    }

    private static String data(SmtpClient c, String content) throws IOException {
        return Upstreams.data(c, content);
    }

    private static String send(SmtpClient c, String from, String... to) throws IOException {
        assertTrue(c.command("MAIL FROM:<" + from + ">").startsWith("250"));
        for (String r : to) {
            String reply = c.command("RCPT TO:<" + r + ">");
            assertTrue(reply.startsWith("250"), r + ": " + reply);
        }
        return data(c, CONTENT);
    }

    @Test
    void allTakenIsTheLmtpServers250AndItGetsTheClientsOctetsBehindOurReceived() throws Exception {
        SmtpClient c = client(standard());
        assertEquals("250 2.0.0 Ok", send(c, "alice@example.org", "dev@lists.test", "announce@example.org"));
        assertEquals(1, mailman.messages.size());
        Delivered d = mailman.messages.get(0);
        assertEquals(List.of("dev@lists.test", "announce@example.org"), d.recipients());
        assertTrue(d.content().startsWith("Received: from client.test"), d.content());
        int start = d.content().indexOf(CONTENT);
        assertTrue(start > 0 && d.content().endsWith(CONTENT), "the client's octets, whole: " + d.content());
        for (String line : d.content().substring(0, start).split("\r\n")) {
            assertTrue(line.startsWith("Received: ") || line.startsWith("\t") || line.startsWith(" "),
                    "nothing before them but our Received header (no Date, no Subject rewritten): " + line);
        }
        assertEquals(0, relayed.messages.size());
    }

    @Test
    void aRefusalAtRcptIsTheLmtpServersOwn() throws Exception {
        SmtpClient c = client(standard());
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals("550 5.1.1 No such list", c.command("RCPT TO:<nolist@lists.test>"));
        assertTrue(c.command("RCPT TO:<dev@lists.test>").startsWith("250"));
        assertEquals("250 2.0.0 Ok", data(c, CONTENT));
        assertEquals(List.of("dev@lists.test"), mailman.messages.get(0).recipients());
    }

    @Test
    void someRefusedAfterTheDataIs250AndANotificationToTheSenderThroughTheRelay() throws Exception {
        SmtpClient c = client(standard());
        String reply = send(c, "alice@example.org", "dev@lists.test", "gone@lists.test", "full@lists.test");
        assertTrue(reply.startsWith("250 2.0.0 Delivered to 1 of 3 recipients"), reply);
        assertEquals(1, relayed.messages.size(), "one notification went to the relay's upstream");
        Upstreams.Received dsn = relayed.messages.get(0);
        assertTrue(dsn.envelope().reversePath().isNull(), "from <>");
        assertEquals(List.of("alice@example.org"), dsn.envelope().recipientAddresses());

        MimeMessage m = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(dsn.content()));
        assertTrue(m.getContentType().startsWith("multipart/report"), m.getContentType());
        assertTrue(m.getContentType().contains("report-type=delivery-status"), m.getContentType());
        MimeMultipart parts = (MimeMultipart) m.getContent();
        assertEquals(3, parts.getCount());
        String status = text(parts.getBodyPart(1));
        assertTrue(parts.getBodyPart(1).isMimeType("message/delivery-status"), parts.getBodyPart(1).getContentType());
        assertTrue(status.contains("Reporting-MTA: dns; localhost\r\n"), status);
        String[] perRecipient = status.split("\r\n\r\n");
        assertEquals(3, perRecipient.length, "the message's fields and one block per refused recipient: " + status);
        assertTrue(perRecipient[1].contains("Final-Recipient: rfc822; gone@lists.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"), status);
        assertTrue(perRecipient[1].contains("Diagnostic-Code: smtp; 550 5.1.1 List gone"), status);
        assertTrue(perRecipient[2].contains("Final-Recipient: rfc822; full@lists.test\r\nAction: failed\r\nStatus: 4.2.2\r\n"), status);
        assertTrue(perRecipient[2].contains("Diagnostic-Code: smtp; 452 4.2.2 Held, try later"), status);
        assertTrue(!status.contains("dev@lists.test"), "the delivered recipient is not reported");
        BodyPart headers = parts.getBodyPart(2);
        assertTrue(headers.isMimeType("text/rfc822-headers"), headers.getContentType());
        String h = text(headers);
        assertTrue(h.contains("Subject: hello list\r\n") && h.startsWith("Received: from client.test"), h);
        assertTrue(!h.contains("hi\r\n"), "headers only: " + h);
    }

    private static String text(BodyPart part) throws Exception {
        try (InputStream in = part.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void noNotificationToTheNullReversePath() throws Exception {
        SmtpClient c = client(standard());
        String reply = send(c, "", "dev@lists.test", "gone@lists.test");
        assertTrue(reply.startsWith("250 2.0.0 Delivered to 1 of 2 recipients"), reply);
        assertEquals(1, mailman.messages.size());
        // The relay's upstream would have the notification before the 250 came: none went.
        assertEquals(0, relayed.messages.size());
        assertEquals(0, relayed.mails.size(), "no MAIL at all to the relay's upstream");
    }

    @Test
    void allRefusedAfterTheDataIsTheFirstTransientRefusalSoTheSenderRetries() throws Exception {
        SmtpClient c = client(standard());
        assertEquals("452 4.2.2 Held, try later", send(c, "alice@example.org", "gone@lists.test", "full@lists.test"));
        c.command("RSET");
        assertEquals("550 5.1.1 List gone", send(c, "alice@example.org", "gone@lists.test"));
        assertEquals(0, relayed.messages.size(), "no notification: the client holds the refusal");
    }

    @Test
    void lmtpServerDownIs451() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        SmtpClient c = client(handler("lmtp=127.0.0.1:" + port, "lists=lists.test", "upstream=" + Upstreams.hostPort(relayUpstream())));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        String reply = c.command("RCPT TO:<dev@lists.test>");
        assertTrue(reply.startsWith("451 4.4.1"), reply);
    }

    @Test
    void mailmansServiceAddressesGoToTheListServer() throws Exception {
        SmtpClient c = client(standard());
        assertEquals("250 2.0.0 Ok", send(c, "alice@example.org", "announce-bounces+bob=example.net@example.org",
                "announce-request@example.org", "ANNOUNCE-confirm+abc@Example.org"));
        assertEquals(List.of("announce-bounces+bob=example.net@example.org", "announce-request@example.org",
                "ANNOUNCE-confirm+abc@Example.org"), mailman.messages.get(0).recipients());
        assertEquals(0, relayed.messages.size());
    }

    @Test
    void otherRecipientsAreRelayedAndOneTransactionGoesToOneSide() throws Exception {
        SmtpClient c = client(standard());
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals("550 5.1.1 No such user here", c.command("RCPT TO:<refuse@example.net>"), "the relay's verdict");
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        assertEquals("452 4.5.3 Recipients for another next hop go in another transaction; send this one later",
                c.command("RCPT TO:<dev@lists.test>"));
        assertEquals("250 2.0.0 Ok: queued as UP1", data(c, CONTENT));
        assertEquals(List.of("bob@example.net"), relayed.messages.get(0).envelope().recipientAddresses());
        assertEquals(0, mailman.messages.size());
        assertEquals("250 2.0.0 Ok", send(c, "alice@example.org", "dev@lists.test"), "the list recipient, sent again");
        assertEquals(List.of("dev@lists.test"), mailman.messages.get(0).recipients());
    }

    /** The usual set-up with the relayed side queued in {@code dir}. */
    private SmtpServer queued(Path dir) throws IOException {
        return handler("lmtp=" + Upstreams.hostPort(mailmanServer()), "lists=lists.test",
                "upstream=" + Upstreams.hostPort(relayUpstream()), "queue=" + dir, "queue-reserve=0",
                "retry-min=1s", "retry-max=1s");
    }

    @Test
    void withAQueueRelayedMailIsQueuedBeforeThe250AndDeliveredByTheRunner(@TempDir Path dir) throws Exception {
        SmtpClient c = client(queued(dir));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertEquals("250 2.1.5 OK", c.command("RCPT TO:<refuse@example.net>"),
                "the policy answers, not the next hop (which would refuse refuse@)");
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        String reply = data(c, CONTENT);
        assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
        Eventually.await(() -> relayed.messages.size() == 1, Duration.ofSeconds(20), "the runner delivers");
        assertEquals(List.of("bob@example.net"), relayed.messages.get(0).envelope().recipientAddresses(),
                "refuse@ was refused by the next hop at delivery; bob@ delivered");
        Eventually.await(() -> relayed.messages.size() == 2, Duration.ofSeconds(20), "the notification for refuse@");
        assertTrue(relayed.messages.get(1).envelope().reversePath().isNull());
        assertEquals(0, mailman.messages.size());
    }

    @Test
    void withAQueueOneTransactionStillGoesToOneSide(@TempDir Path dir) throws Exception {
        SmtpClient c = client(queued(dir));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<bob@example.net>").startsWith("250"));
        assertEquals("452 4.5.3 Recipients for another next hop go in another transaction; send this one later",
                c.command("RCPT TO:<dev@lists.test>"), "the transaction is the queue's");
        assertTrue(data(c, CONTENT).startsWith("250 2.0.0 Ok: queued as "));
        assertTrue(c.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        assertTrue(c.command("RCPT TO:<dev@lists.test>").startsWith("250"));
        assertEquals("452 4.5.3 Recipients for another next hop go in another transaction; send this one later",
                c.command("RCPT TO:<bob@example.net>"), "the transaction is the LMTP server's");
        assertEquals("250 2.0.0 Ok", data(c, CONTENT), "list mail goes live, the LMTP server's own answer");
        assertEquals(List.of("dev@lists.test"), mailman.messages.get(0).recipients());
    }

    @Test
    void withAQueueTheNotificationForListRecipientsRefusedAfterTheDataIsQueued(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort(); // the relay's next hop: nobody listens there yet
        }
        SmtpClient c = client(handler("lmtp=" + Upstreams.hostPort(mailmanServer()), "lists=lists.test",
                "upstream=127.0.0.1:" + port, "queue=" + dir, "queue-reserve=0", "retry-min=1s", "retry-max=1s"));
        String reply = send(c, "alice@example.org", "dev@lists.test", "gone@lists.test");
        assertTrue(reply.startsWith("250 2.0.0 Delivered to 1 of 2 recipients"), reply);
        try (var queued = Files.list(dir.resolve("active"))) {
            assertEquals(1, queued.filter(f -> f.toString().endsWith(".msg")).count(),
                    "the notification waits in the queue (sent live, it would have been lost)");
        }
        closing.add(Upstreams.start(relayed, cfg -> cfg, b -> b.listen(new InetSocketAddress("127.0.0.1", port))));
        Eventually.await(() -> relayed.messages.size() == 1, Duration.ofSeconds(20), "the runner delivers it once the next hop is up");
        Upstreams.Received dsn = relayed.messages.get(0);
        assertTrue(dsn.envelope().reversePath().isNull(), "from <>");
        assertEquals(List.of("alice@example.org"), dsn.envelope().recipientAddresses());
        assertTrue(new String(dsn.content(), StandardCharsets.UTF_8).contains("Final-Recipient: rfc822; gone@lists.test"));
    }

    @Test
    void optionsAreCheckedNamingTheOption() {
        HandlerOptionException e = assertThrows(HandlerOptionException.class,
                () -> new LmtpProvider().create(Map.of("upstream", "127.0.0.1:25")));
        assertEquals("lists", e.key());
        e = assertThrows(HandlerOptionException.class,
                () -> new LmtpProvider().create(Map.of("lists", "l.test", "lmtp", "nohost", "upstream", "127.0.0.1:25")));
        assertEquals("lmtp", e.key());
        e = assertThrows(HandlerOptionException.class,
                () -> new LmtpProvider().create(Map.of("lists", "l.test", "list", "announce", "upstream", "127.0.0.1:25")));
        assertEquals("list", e.key());
        e = assertThrows(HandlerOptionException.class,
                () -> new LmtpProvider().create(Map.of("lists", "l.test", "upstream", "127.0.0.1:25", "tls", "maybe")));
        assertEquals("tls", e.key());
        assertEquals("lmtp", e.handler(), "a relay option's error names the lmtp handler");
        e = assertThrows(HandlerOptionException.class,
                () -> new LmtpProvider().create(Map.of("lists", "l.test", "upstream", "127.0.0.1:8024")));
        assertEquals("lmtp", e.key(), "the LMTP server cannot also be the upstream");
        e = assertThrows(HandlerOptionException.class, () -> new LmtpProvider().create(
                Map.of("lists", "l.test", "upstream", "127.0.0.1:25", "route", "x.test=127.0.0.1:8024")));
        assertEquals("lmtp", e.key(), "nor a route's next hop");
        LmtpHandler h = (LmtpHandler) new LmtpProvider().create(Map.of("lists", "l.test", "upstream", "127.0.0.1:25"));
        assertEquals("127.0.0.1:8024", h.lmtp().toString(), "Mailman 3's runner by default");
    }
}
