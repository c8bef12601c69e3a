package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.LOOPBACK;
import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.TestSupport.Received;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The server over real sockets with a raw client: framing, ordering, hooks, trace header, abuse. */
class SmtpServerTest {

    @Test
    void greetsDeliversAndSaysGoodbye() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            assertTrue(c.reply().startsWith("220 localhost ESMTP"));
            assertTrue(c.command("EHLO client.example").contains("250-PIPELINING"));
            assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "Subject: hi\r\n\r\nhello"));
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
            assertTrue(c.closedByServer());
            Received r = capture.take();
            assertEquals("a@example.org", r.envelope().reversePath().address());
            assertTrue(r.text().endsWith("Subject: hi\r\n\r\nhello\r\n"), r.text());
            assertTrue(r.text().startsWith("Received: from client.example ([127.0.0.1])\r\n\tby localhost with ESMTP id "), r.text());
        }
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).receivedHeader(false).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<bad>\r\nDATA\r\n"
                    + "line .1\r\n..dot\r\n.\r\nNOOP\r\nRSET\r\nQUIT\r\n");
            assertEquals("250 2.1.0 OK", c.reply());
            assertEquals("250 2.1.5 OK", c.reply());
            assertTrue(c.reply().startsWith("501 5.1.3"));
            assertTrue(c.reply().startsWith("354"));
            assertEquals("250 2.0.0 OK", c.reply());
            assertEquals("250 2.0.0 OK", c.reply());
            assertEquals("250 2.0.0 OK", c.reply());
            assertEquals("221 2.0.0 Bye", c.reply());
            assertEquals("line .1\r\n.dot\r\n", capture.take().text());
        }
    }

    @Test
    void everyHookIsCalledAndCanRefuse() throws Exception {
        SmtpHandler handler = new SmtpHandler() {
            @Override
            public Reply onConnect(SessionContext session) {
                return null;
            }

            @Override
            public Reply onHello(SessionContext session, String domain, boolean extended) {
                return domain.equals("bad.example") ? Reply.of(550, "5.7.1", "go away") : null;
            }

            @Override
            public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
                return reversePath.address().startsWith("spam") ? Reply.of(550, "5.7.1", "no spam") : null;
            }

            @Override
            public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
                return recipient.domain().equals("example.org") ? null : Reply.RELAY_DENIED;
            }

            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
                return Reply.of(250, "2.0.0", "queued as " + envelope.recipients().size());
            }
        };
        try (SmtpServer server = server(handler).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            assertTrue(c.command("EHLO bad.example").startsWith("550"));
            c.command("EHLO good.example");
            assertTrue(c.command("MAIL FROM:<spam@example.net>").startsWith("550 5.7.1 no spam"));
            c.command("MAIL FROM:<ok@example.net>");
            assertTrue(c.command("RCPT TO:<x@elsewhere.example>").startsWith("554 5.7.1"));
            assertTrue(c.command("RCPT TO:<x@example.org>").startsWith("250"));
            c.command("DATA");
            c.send("hi\r\n.\r\n");
            assertEquals("250 2.0.0 queued as 1", c.reply());
        }
    }

    @Test
    void aHandlerThatThrowsGets451AndTheServerGoesOn() throws Exception {
        SmtpHandler handler = new SmtpHandler() {
            @Override
            public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
                if (recipient.localPart().equals("boom")) {
                    throw new IllegalStateException("boom (expected by the test)");
                }
                return null;
            }

            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws IOException {
                throw new IOException("disk on fire (expected by the test)");
            }
        };
        try (SmtpServer server = server(handler).build().start()) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO x.example");
                c.command("MAIL FROM:<a@example.org>");
                assertEquals("451 4.3.0 Error: local error in processing", c.command("RCPT TO:<boom@example.org>"));
                assertTrue(c.command("RCPT TO:<fine@example.org>").startsWith("250"));
                c.command("DATA");
                c.send("x\r\n.\r\n");
                assertEquals("451 4.3.0 Error: local error in processing", c.reply());
                assertTrue(c.command("NOOP").startsWith("250"));
            }
            try (SmtpClient c = SmtpClient.connect(server)) {
                assertTrue(c.reply().startsWith("220"));
            }
        }
    }

    @Test
    void anExecutorThatFailsToTakeAHookCostsOneConnectionNotTheServer() throws Exception {
        // Not every executor signals refusal with RejectedExecutionException; whatever it throws
        // on the event loop must not end the loop (here: while a connection is being accepted).
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean failOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.ExecutorService flaky = TestSupport.executorService(pool, task -> {
            if (failOnce.getAndSet(false)) {
                throw new IllegalStateException("no thread for you");
            }
            pool.execute(task);
        });
        SmtpHandler handler = new Capture() {
            @Override
            public Reply onConnect(SessionContext session) {
                return null;
            }
        };
        try (SmtpServer server = server(handler).executor(flaky).build().start()) {
            try (SmtpClient first = SmtpClient.connect(server)) {
                assertTrue(first.reply().startsWith("451"));
            }
            try (SmtpClient second = SmtpClient.connect(server)) {
                assertTrue(second.reply().startsWith("220"));
                assertTrue(second.command("QUIT").startsWith("221"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void receivedHeaderIsSanitised() throws Exception {
        Capture capture = new Capture();
        SessionConfig config = SessionConfig.builder().hostname("mx.example").build();
        try (SmtpServer server = server(capture).config(config).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO evil(;)<x>\\y");
            c.command("MAIL FROM:<a@example.org>");
            assertTrue(c.command("RCPT TO:<\"we;ird)(\"@example.org>").startsWith("250"));
            c.command("DATA");
            c.send("body\r\n.\r\n");
            c.reply();
            String text = capture.take().text();
            String header = text.substring(0, text.indexOf("body"));
            assertTrue(header.startsWith("Received: from evil____x__y ([127.0.0.1])\r\n\tby mx.example with ESMTP id "), header);
            assertTrue(header.contains("\r\n\tfor <\"we_ird__\"@example.org>; "), header);
            // Three lines, each CRLF-ended, the last with an RFC 5322 date.
            assertEquals(3, header.split("\r\n", -1).length - 1, header);
            assertTrue(header.matches("(?s).*; \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\r\n"), header);
        }
    }

    @Test
    void heloGivesSmtpInTheTraceHeader() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("HELO old.example");
            c.sendMail("a@example.org", "b@example.org", "x");
            assertTrue(capture.take().text().contains(" with SMTP id "));
        }
    }

    @Test
    void abuseGetsRepliesNotHangs() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).build().start()) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                byte[] longLine = new byte[100_000];
                Arrays.fill(longLine, (byte) 'A');
                c.send(longLine);
                c.send("\r\n");
                assertTrue(c.reply().startsWith("500"));
                c.send(new byte[] {'N', 'O', 0, 'P', '\r', '\n'});
                assertTrue(c.reply().startsWith("501"));
                assertTrue(c.command("DATA").startsWith("503"));
                assertTrue(c.command("\u00ff\u00fe garbage").startsWith("501"));
                // The error budget (10 by default) ends the session with a 421.
                String last = "";
                for (int i = 0; i < 20 && !last.startsWith("421"); i++) {
                    last = c.command("BOGUS");
                }
                assertTrue(last.startsWith("421"), last);
                assertTrue(c.closedByServer());
            }
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO x.example");
                assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "still here"));
            }
        }
    }

    @Test
    void contentIsNeverCutByLoneDots() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).receivedHeader(false).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<b@example.org>");
            c.command("DATA");
            // SMTP smuggling attempt: <LF>.<LF> and <CR>.<CR> do not end the message.
            c.send("one\n.\nMAIL FROM:<evil@example.org>\r\ntwo\r.\rthree\r\n.\r\n");
            assertEquals("250 2.0.0 OK", c.reply());
            String text = capture.take().text();
            assertTrue(text.contains("MAIL FROM:<evil@example.org>"), text);
            assertTrue(text.endsWith("three\r\n"), text);
        }
    }

    @Test
    void startTlsInjectionIsNotExecuted() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).tls(TestSupport.serverTls()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            assertTrue(c.command("EHLO x.example").contains("STARTTLS"));
            // CVE-2011-0411: the RSET travels in plaintext behind STARTTLS in the same segment.
            c.send("STARTTLS\r\nRSET\r\n");
            assertEquals("220 2.0.0 Ready to start TLS", c.reply());
            c.startTls(TestSupport.trustAll());
            // The first reply inside TLS answers our EHLO, not the injected RSET.
            String ehlo = c.command("EHLO x.example");
            assertTrue(ehlo.startsWith("250-localhost"), ehlo);
            assertFalse(ehlo.contains("STARTTLS"), ehlo);
            assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "secret"));
            Received r = capture.take();
            assertTrue(r.tls() != null && r.tls().getProtocol().startsWith("TLSv1."));
            assertTrue(r.text().contains(" with ESMTPS id "), r.text());
            assertTrue(c.command("QUIT").startsWith("221"));
        }
    }

    @Test
    void pipelinedBurstInsideTlsWithSlowHooks() throws Exception {
        // Every RCPT goes through the executor, so the session pauses again and again with
        // decrypted input and whole TLS records waiting; nothing may be lost or reordered.
        Capture capture = new Capture() {
            @Override
            public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) throws Exception {
                Thread.sleep(1);
                return null;
            }
        };
        try (SmtpServer server = server(capture).receivedHeader(false).tls(TestSupport.serverTls()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("STARTTLS");
            c.startTls(TestSupport.trustAll());
            c.command("EHLO x.example");
            StringBuilder burst = new StringBuilder();
            int messages = 20;
            String big = "y".repeat(998) + "\r\n";
            for (int i = 0; i < messages; i++) {
                burst.append("MAIL FROM:<a@example.org>\r\nRCPT TO:<r").append(i).append("@example.org>\r\nDATA\r\n");
                burst.append("message ").append(i).append("\r\n").append(big.repeat(40)).append(".\r\n");
            }
            c.send(burst.toString());
            for (int i = 0; i < messages; i++) {
                assertEquals("250 2.1.0 OK", c.reply());
                assertEquals("250 2.1.5 OK", c.reply());
                assertTrue(c.reply().startsWith("354"));
                assertEquals("250 2.0.0 OK", c.reply());
            }
            for (int i = 0; i < messages; i++) {
                Received r = capture.take();
                assertEquals("r" + i + "@example.org", r.envelope().recipients().get(0).address());
                assertEquals("message " + i + "\r\n" + big.repeat(40), r.text());
            }
        }
    }

    @Test
    void listensOnIpv6Loopback() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        Assumptions.assumeTrue(v6 instanceof Inet6Address && NetworkInterface.getByInetAddress(v6) != null,
                "no IPv6 loopback here");
        Capture capture = new Capture();
        SmtpServer.Builder builder = SmtpServer.builder().listen(new InetSocketAddress(v6, 0)).handler(capture);
        SmtpServer server;
        try {
            server = builder.build().start();
        } catch (IOException e) {
            Assumptions.abort("cannot bind [::1]: " + e.getMessage());
            return;
        }
        try (server; SmtpClient c = SmtpClient.connect(server.addresses().get(0))) {
            c.reply();
            c.command("EHLO v6.example");
            assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "over v6"));
            assertTrue(capture.take().text().startsWith("Received: from v6.example ([IPv6:0:0:0:0:0:0:0:1])"));
        }
    }

    @Test
    void aPortInUseGivesAClearError() throws Exception {
        try (SmtpServer first = server(new Capture()).build().start()) {
            int port = first.port();
            SmtpServer second = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", port)).handler(new Capture()).build();
            IOException e = assertThrows(IOException.class, second::start);
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            second.close();
        }
    }

    @Test
    void handlerSeesTheSessionWhileItRuns() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        String[] seen = new String[3];
        SmtpHandler handler = new SmtpHandler() {
            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
                seen[0] = session.heloName();
                seen[1] = session.remoteAddress().getAddress().getHostAddress();
                seen[2] = String.valueOf(session.localAddress().getPort());
                return null;
            }

            @Override
            public void onClose(SessionContext session) {
                closed.countDown();
            }
        };
        try (SmtpServer server = server(handler).build().start()) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO me.example");
                c.sendMail("a@example.org", "b@example.org", "x");
            }
            assertTrue(closed.await(20, TimeUnit.SECONDS));
            assertEquals("me.example", seen[0]);
            assertEquals("127.0.0.1", seen[1]);
            assertEquals(String.valueOf(server.port()), seen[2]);
        }
    }

    @Test
    void bdatChunksAreDelivered() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).receivedHeader(false).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<b@example.org>");
            c.send("BDAT 5\r\nhelloBDAT 8 LAST\r\n world\r\n");
            assertTrue(c.reply().startsWith("250"));
            assertEquals("250 2.0.0 OK", c.reply());
            assertArrayEquals("hello world\r\n".getBytes(StandardCharsets.US_ASCII), capture.take().content());
        }
    }

    static {
        // Keep the test log short: the server logs at debug.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    }

    @SuppressWarnings("unused")
    private static final InetSocketAddress UNUSED = LOOPBACK;
}
