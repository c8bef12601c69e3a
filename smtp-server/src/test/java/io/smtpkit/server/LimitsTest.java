package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Connection limits, the idle timeout and back-pressure. */
class LimitsTest {

    @Test
    void globalConnectionLimit() throws Exception {
        try (SmtpServer server = server(new Capture()).maxConnections(2).build().start();
                SmtpClient a = SmtpClient.connect(server);
                SmtpClient b = SmtpClient.connect(server)) {
            assertTrue(a.reply().startsWith("220"));
            assertTrue(b.reply().startsWith("220"));
            try (SmtpClient c = SmtpClient.connect(server)) {
                assertEquals("421 4.7.0 Error: too many connections", c.reply());
                assertTrue(c.closedByServer());
            }
            a.command("QUIT");
            assertTrue(a.closedByServer());
            // The slot is free again once the server has seen the close.
            String greeting = "";
            for (int i = 0; i < 100 && !greeting.startsWith("220"); i++) {
                try (SmtpClient d = SmtpClient.connect(server)) {
                    greeting = d.reply();
                }
                if (!greeting.startsWith("220")) {
                    Thread.sleep(50);
                }
            }
            assertTrue(greeting.startsWith("220"), greeting);
        }
    }

    @Test
    void perClientConnectionLimit() throws Exception {
        try (SmtpServer server = server(new Capture()).maxConnectionsPerClient(1).build().start();
                SmtpClient a = SmtpClient.connect(server)) {
            assertTrue(a.reply().startsWith("220"));
            try (SmtpClient b = SmtpClient.connect(server)) {
                assertEquals("421 4.7.0 Error: too many connections from your address, try again later", b.reply());
            }
            // Another client address (all of 127/8 is loopback on Linux) has its own allowance.
            try (SmtpClient other = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0.2", 0))) {
                assertTrue(other.reply().startsWith("220"));
            }
        }
    }

    @Test
    void aClosedConnectionGivesItsPlaceBack() throws Exception {
        // Per client and globally, whichever way the connection ends: QUIT, the client vanishing,
        // the idle timeout.
        try (SmtpServer server = server(new Capture()).maxConnectionsPerClient(1).maxConnections(1)
                .idleTimeout(Duration.ofMillis(500)).build().start()) {
            try (SmtpClient quits = SmtpClient.connect(server)) {
                assertTrue(quits.reply().startsWith("220"));
                assertTrue(quits.command("QUIT").startsWith("221"));
                assertTrue(quits.closedByServer());
            }
            awaitNoConnection(server);
            try (SmtpClient vanishes = SmtpClient.connect(server)) {
                assertTrue(vanishes.reply().startsWith("220"));
            }
            awaitNoConnection(server);
            try (SmtpClient idles = SmtpClient.connect(server)) {
                assertTrue(idles.reply().startsWith("220"));
                // No enhanced code: the client never said EHLO (RFC 2034 §3).
                assertEquals("421 Error: timeout exceeded", idles.reply());
            }
            awaitNoConnection(server);
            try (SmtpClient last = SmtpClient.connect(server)) {
                assertTrue(last.reply().startsWith("220"));
            }
        }
    }

    private static void awaitNoConnection(SmtpServer server) throws Exception {
        assertEquals(0, Eventually.poll(server::connectionCount, n -> n == 0, Duration.ofSeconds(5)));
    }

    @Test
    void slowlorisIsTimedOut() throws Exception {
        try (SmtpServer server = server(new Capture()).idleTimeout(Duration.ofMillis(400)).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            // One byte every 100 ms: the line never ends, so no reply is produced and the trickle
            // does not count as progress, even though bytes keep arriving well within the timeout.
            String trickle = "MAIL FROM:<slow@example.org> with a very long tail that never ends";
            String reply = null;
            for (int i = 0; i < trickle.length() && reply == null; i++) {
                try {
                    c.send(trickle.substring(i, i + 1));
                } catch (IOException e) {
                    break; // closed under us
                }
                Thread.sleep(100);
                if (c.socket().getInputStream().available() > 0) {
                    reply = c.reply();
                }
            }
            if (reply == null) {
                reply = c.reply();
            }
            assertEquals("421 4.4.2 Error: timeout exceeded", reply);
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void slowlorisInsideDataIsTimedOut() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).idleTimeout(Duration.ofMillis(400)).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<b@example.org>");
            c.command("DATA");
            // Whole lines of content, a byte every 50 ms: far below a KiB per timeout period.
            boolean timedOut = false;
            for (int i = 0; i < 200 && !timedOut; i++) {
                try {
                    c.send(i % 10 == 9 ? "\r\n" : "z");
                } catch (IOException e) {
                    break;
                }
                Thread.sleep(50);
                timedOut = c.socket().getInputStream().available() > 0;
            }
            assertEquals("421 4.4.2 Error: timeout exceeded", c.reply());
            assertTrue(c.closedByServer());
            assertTrue(capture.messages.isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLongPipelinedBurstFromAReadingClientIsAnsweredInFull(boolean tls) throws Exception {
        // More replies per read than the output bound: the server must come back to the rest of
        // the input by itself once its output has gone out.
        try (SmtpServer server = server(new Capture()).tls(TestSupport.serverTls()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            if (tls) {
                c.command("STARTTLS");
                c.startTls(TestSupport.trustAll());
                c.command("EHLO x.example");
            }
            int noops = 50_000;
            Thread writer = new Thread(() -> {
                try {
                    c.send("NOOP\r\n".repeat(noops) + "QUIT\r\n");
                } catch (IOException e) {
                    // reported by the reader
                }
            });
            writer.start();
            for (int i = 0; i < noops; i++) {
                assertEquals("250 2.0.0 OK", c.reply());
            }
            assertEquals("221 2.0.0 Bye", c.reply());
            writer.join(30_000);
        }
    }

    @Test
    void aClientThatNeverReadsCannotGrowTheServer() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).idleTimeout(Duration.ofSeconds(3)).build().start()) {
            SmtpClient flooder = SmtpClient.connect(server);
            flooder.socket().setReceiveBufferSize(4096);
            flooder.reply();
            flooder.command("EHLO flood.example");
            AtomicLong written = new AtomicLong();
            long limit = 256L << 20;
            Thread writer = new Thread(() -> {
                byte[] noops = "NOOP\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
                try {
                    OutputStream out = flooder.socket().getOutputStream();
                    while (written.get() < limit) {
                        out.write(noops);
                        written.addAndGet(noops.length);
                    }
                } catch (IOException e) {
                    // the server gave up on us: expected
                }
            }, "flooder");
            writer.setDaemon(true);
            writer.start();
            // Wait until the flood stalls: the server stopped reading because we do not read.
            long last = -1;
            for (int i = 0; i < 200 && written.get() != last; i++) {
                last = written.get();
                Thread.sleep(250);
            }
            assertTrue(written.get() < 64L << 20, "the server kept reading: " + written.get() + " bytes");
            // Meanwhile another client is served normally.
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO fine.example");
                assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "served"));
            }
            assertTrue(capture.take().text().contains("served"));
            // The flooder makes no progress, so the idle timeout ends it: its writes fail.
            writer.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(writer.isAlive(), "the flooder's connection is still open after the idle timeout");
            io.smtpkit.server.testsupport.Eventually.await(() -> server.connectionCount() == 0, Duration.ofSeconds(10),
                    "the server still counts the flooder's connection");
            flooder.close();
        }
    }
}
