package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The server's meters after real mail over real sockets (SimpleMeterRegistry). */
class MetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** What the body "Subject: m\r\n\r\nhello" is as content: the last line's CRLF belongs to it. */
    private static final int CONTENT_OCTETS = "Subject: m\r\n\r\nhello\r\n".length();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    /** Accepts mail; refuses recipients at bounce.example (so onRcpt is a real hook, and timed). */
    static final class Handler extends TestSupport.Capture {
        @Override
        public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
            return recipient.toString().contains("bounce.example") ? Reply.of(550, "5.1.1", "no such user") : null;
        }
    }

    @Test
    void countsConnectionsMessagesBytesRepliesAndHookLatency() throws Exception {
        Handler handler = new Handler();
        try (SmtpServer server = TestSupport.server(handler).meterRegistry(registry)
                .config(SessionConfig.builder().maxMessageSize(100).build()).build().start()) {
            for (int i = 0; i < 2; i++) {
                try (SmtpClient client = SmtpClient.connect(server)) {
                    assertEquals(220, client.readReply().code());
                    client.command("EHLO client.example");
                    assertTrue(client.sendMail("a@example.org", "b@example.org", "Subject: m\r\n\r\nhello").startsWith("250"));
                    assertTrue(client.command("QUIT").startsWith("221"));
                }
            }
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.reply();
                client.command("EHLO client.example");
                assertTrue(client.sendMail("a@example.org", "b@example.org", "x".repeat(200)).startsWith("552"));
                assertTrue(client.command("MAIL FROM:<a@example.org>").startsWith("250"));
                assertTrue(client.command("RCPT TO:<c@bounce.example>").startsWith("550"));
                assertTrue(client.command("QUIT").startsWith("221"));
            }
            Eventually.await(() -> count("smtp.sessions", "outcome", "quit") == 3, WAIT, "three sessions ended by QUIT");

            assertEquals(3, count("smtp.connections.opened"));
            assertEquals(0, gauge("smtp.connections.active"));
            assertEquals(2, count("smtp.messages", "result", "accepted"));
            assertEquals(1, count("smtp.messages", "result", "refused"));
            assertEquals(2, registry.get("smtp.message.bytes").tag("result", "accepted").summary().count());
            assertEquals(2.0 * CONTENT_OCTETS, registry.get("smtp.message.bytes").tag("result", "accepted").summary().totalAmount());
            // Its octets are those kept before the size limit (RFC 1870: none past it), here none:
            // the whole line came in one read.
            assertEquals(1, registry.get("smtp.message.bytes").tag("result", "refused").summary().count());
            assertTrue(registry.get("smtp.message.bytes").tag("result", "refused").summary().totalAmount() <= 100);
            // Per session: 220, EHLO, MAIL, RCPT, end of data, QUIT (and 354); the third: 220,
            // EHLO, MAIL, RCPT, MAIL, QUIT (and 354, 552, 550).
            assertEquals(3 * 6, count("smtp.replies", "class", "2xx"));
            assertEquals(3, count("smtp.replies", "class", "3xx"));
            assertEquals(0, count("smtp.replies", "class", "4xx"));
            assertEquals(2, count("smtp.replies", "class", "5xx"));
            assertEquals(2, registry.get("smtp.handler.latency").tag("hook", "message").timer().count());
            assertEquals(4, registry.get("smtp.handler.latency").tag("hook", "rcpt").timer().count());
            assertEquals(0, registry.get("smtp.handler.latency").tag("hook", "mail").timer().count());
            assertEquals(0, count("smtp.spool.files"));
            assertNotNull(registry.find("smtp.spool.bytes").gauge());
        }
    }

    @Test
    void countsRefusalsByLimitAndSessionsEndedByShutdown() throws Exception {
        SmtpServer server = TestSupport.server(new TestSupport.Capture()).meterRegistry(registry)
                .maxConnections(1).build().start();
        try (SmtpClient first = SmtpClient.connect(server)) {
            assertEquals(220, first.readReply().code());
            try (SmtpClient second = SmtpClient.connect(server)) {
                assertEquals(421, second.readReply().code());
            }
            assertEquals(1, count("smtp.connections.refused", "reason", "limit"));
            assertEquals(0, count("smtp.connections.refused", "reason", "per_client"));
            assertEquals(1, count("smtp.connections.opened"));
            assertEquals(1, gauge("smtp.connections.active"));
            server.close();
            assertEquals(421, first.readReply().code());
        }
        assertEquals(1, count("smtp.sessions", "outcome", "shutdown"));
        assertEquals(0, gauge("smtp.connections.active"));
    }

    @Test
    void countsTlsHandshakesAndFailures() throws Exception {
        try (SmtpServer server = TestSupport.server(new TestSupport.Capture()).meterRegistry(registry)
                .tls(TestSupport.serverTls()).build().start()) {
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.reply();
                client.command("EHLO client.example");
                assertTrue(client.command("STARTTLS").startsWith("220"));
                client.startTls(TestSupport.trustAll());
                assertTrue(client.command("EHLO client.example").startsWith("250"));
                assertTrue(client.command("QUIT").startsWith("221"));
            }
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.reply();
                client.command("EHLO client.example");
                assertTrue(client.command("STARTTLS").startsWith("220"));
                client.send("this is not a TLS client hello\r\n");
                assertTrue(client.closedByServer());
            }
            Eventually.await(() -> count("smtp.tls.handshakes", "result", "failed") == 1, WAIT, "a failed handshake");
            assertEquals(1, count("smtp.tls.handshakes", "result", "ok"));
            Eventually.await(() -> count("smtp.sessions", "outcome", "error") == 1, WAIT, "the failed one ended in error");
            assertEquals(1, count("smtp.sessions", "outcome", "quit"));
        }
    }

    @Test
    void countsSessionsByOutcomeAndRefusalsPerClient() throws Exception {
        try (SmtpServer server = TestSupport.server(new TestSupport.Capture()).meterRegistry(registry)
                .maxConnectionsPerClient(1).idleTimeout(Duration.ofMillis(300)).build().start()) {
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.reply();
                try (SmtpClient second = SmtpClient.connect(server)) {
                    assertEquals(421, second.readReply().code());
                }
                client.command("EHLO client.example");
            } // closed without QUIT
            Eventually.await(() -> count("smtp.sessions", "outcome", "reset") == 1, WAIT, "a session the client reset");
            try (SmtpClient client = SmtpClient.connect(server)) {
                client.reply();
                assertEquals(421, client.readReply().code()); // 4.4.2, idle too long
            }
            Eventually.await(() -> count("smtp.sessions", "outcome", "timeout") == 1, WAIT, "a session that timed out");
            assertEquals(1, count("smtp.connections.refused", "reason", "per_client"));
            assertEquals(0, count("smtp.connections.refused", "reason", "limit"));
            assertEquals(0, count("smtp.sessions", "outcome", "quit"));
            assertEquals(0, count("smtp.sessions", "outcome", "error"));
        }
    }

    @Test
    void showsSpoolUseOnTheHeapAndCountsSpoolFiles() throws Exception {
        CountDownLatch inHandler = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        SmtpHandler holding = (session, envelope, message) -> {
            inHandler.countDown();
            release.await(30, TimeUnit.SECONDS);
            return null;
        };
        try (SmtpServer server = TestSupport.server(holding).meterRegistry(registry).spoolThreshold(4096)
                .receivedHeader(false).build().start()) {
            String small = "Subject: m\r\n\r\n" + "y".repeat(1000);
            Thread sender = new Thread(() -> {
                try {
                    SmtpClient.deliver(server.addresses().get(0), "a@example.org", "b@example.org", small);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            sender.start();
            assertTrue(inHandler.await(20, TimeUnit.SECONDS));
            // While onMessage holds it, the message's octets are held on the heap.
            assertTrue(gauge("smtp.spool.bytes") >= small.length(), "spool bytes " + gauge("smtp.spool.bytes"));
            release.countDown();
            sender.join(20_000);
            Eventually.await(() -> gauge("smtp.spool.bytes") == 0, WAIT, "the heap given back");
            assertEquals(0, count("smtp.spool.files"));
            String big = "Subject: m\r\n\r\n" + "z".repeat(10_000);
            SmtpClient.deliver(server.addresses().get(0), "a@example.org", "b@example.org", big);
            assertEquals(1, count("smtp.spool.files"));
            assertEquals(2, count("smtp.messages", "result", "accepted"));
        }
    }

    /** A handler that keeps meters of its own gets the server's registry once, at build. */
    static final class MeteredCapture extends TestSupport.Capture implements Metered {
        final AtomicInteger bound = new AtomicInteger();

        @Override
        public void bindMeters(MeterRegistry registry) {
            bound.incrementAndGet();
            Gauge.builder("smtp.queue.size", bound, AtomicInteger::get).register(registry);
        }
    }

    @Test
    void aMeteredHandlerRegistersItsOwnMeters() throws Exception {
        MeteredCapture handler = new MeteredCapture();
        try (SmtpServer server = TestSupport.server(handler).meterRegistry(registry).build().start()) {
            assertEquals(1, handler.bound.get());
            assertEquals(1, gauge("smtp.queue.size"));
            SmtpClient.deliver(server.addresses().get(0), "a@example.org", "b@example.org", "Subject: m\r\n\r\nhi\r\n");
            assertEquals(1, count("smtp.messages", "result", "accepted"));
        }
    }

    @Test
    void aHandlerWithoutARegistryIsNeverBound() throws Exception {
        MeteredCapture handler = new MeteredCapture();
        try (SmtpServer server = TestSupport.server(handler).build().start()) {
            SmtpClient.deliver(server.addresses().get(0), "a@example.org", "b@example.org", "Subject: m\r\n\r\nhi\r\n");
            handler.take();
        }
        assertEquals(0, handler.bound.get());
    }

    private double count(String name, String... tags) {
        return registry.get(name).tags(tags).counter().count();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }
}
