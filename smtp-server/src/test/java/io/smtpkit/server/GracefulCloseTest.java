package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.TestTls;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/**
 * {@link SmtpServer#close()} while a client is in the middle of something (SmtpServer's Javadoc,
 * README "Ctrl-C (or SIGTERM) stops it gracefully"): a message being sent, by DATA or in BDAT
 * chunks, is received whole and answered before the {@code 421}; a TLS handshake is cut off at
 * once; and close returns. In each, an idle client is the witness that the close has begun: its
 * {@code 421} comes from the same sweep over the connections.
 */
class GracefulCloseTest {

    private static final String SHUTTING_DOWN = "421 4.3.2 Service shutting down, closing transmission channel";

    @Test
    void aMessageHalfwayThroughDataIsReceivedWholeThenTheClientIsTold421() throws Exception {
        TestSupport.Capture capture = new TestSupport.Capture();
        SmtpServer server = TestSupport.server(capture).shutdownTimeout(Duration.ofSeconds(30)).build().start();
        try (SmtpClient busy = ready(server); SmtpClient idle = ready(server)) {
            busy.command("MAIL FROM:<a@example.org>");
            busy.command("RCPT TO:<b@example.org>");
            assertTrue(busy.command("DATA").startsWith("354"));
            busy.send("Subject: half\r\n\r\nthe first half,\r\n");

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals(SHUTTING_DOWN, idle.reply());
            assertFalse(closing.isDone(), "close waits for the message in flight");

            busy.send("the second half.\r\n.\r\n");
            assertTrue(busy.reply().startsWith("250"), "the message is accepted");
            assertEquals(SHUTTING_DOWN, busy.reply());
            assertTrue(busy.closedByServer());
            closing.get(30, TimeUnit.SECONDS);
            assertEquals("Subject: half\r\n\r\nthe first half,\r\nthe second half.\r\n", afterReceived(capture.take().text()));
        } finally {
            server.close();
        }
    }

    @Test
    void aMessageHalfwayThroughItsBdatChunksIsReceivedWholeThenTheClientIsTold421() throws Exception {
        TestSupport.Capture capture = new TestSupport.Capture();
        SmtpServer server = TestSupport.server(capture).shutdownTimeout(Duration.ofSeconds(30)).build().start();
        try (SmtpClient busy = ready(server); SmtpClient idle = ready(server)) {
            busy.command("MAIL FROM:<a@example.org>");
            busy.command("RCPT TO:<b@example.org>");
            busy.send("BDAT 14\r\nSubject: one\r\n");
            assertTrue(busy.reply().startsWith("250"), "the first chunk");
            busy.send("BDAT 18 LAST\r\n\r\ntwo ");

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals(SHUTTING_DOWN, idle.reply());
            assertFalse(closing.isDone(), "close waits for the message in flight");

            busy.send("and three.\r\n");
            String accepted = busy.reply();
            assertTrue(accepted.startsWith("250"), "the message is accepted: " + accepted);
            assertEquals(SHUTTING_DOWN, busy.reply());
            assertTrue(busy.closedByServer());
            closing.get(30, TimeUnit.SECONDS);
            assertEquals("Subject: one\r\n\r\ntwo and three.\r\n", afterReceived(capture.take().text()));
        } finally {
            server.close();
        }
    }

    @Test
    void aMessageBetweenItsBdatChunksIsReceivedWholeThenTheClientIsTold421() throws Exception {
        TestSupport.Capture capture = new TestSupport.Capture();
        SmtpServer server = TestSupport.server(capture).shutdownTimeout(Duration.ofSeconds(30)).build().start();
        try (SmtpClient busy = ready(server); SmtpClient idle = ready(server)) {
            busy.command("MAIL FROM:<a@example.org>");
            busy.command("RCPT TO:<b@example.org>");
            busy.send("BDAT 14\r\nSubject: one\r\n");
            assertTrue(busy.reply().startsWith("250"), "the first chunk");

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals(SHUTTING_DOWN, idle.reply());
            assertFalse(closing.isDone(), "close waits for the message in flight");

            busy.send("BDAT 7 LAST\r\n\r\ntwo\r\n");
            String accepted = busy.reply();
            assertTrue(accepted.startsWith("250"), "the message is accepted: " + accepted);
            assertEquals(SHUTTING_DOWN, busy.reply());
            closing.get(30, TimeUnit.SECONDS);
            assertEquals("Subject: one\r\n\r\ntwo\r\n", afterReceived(capture.take().text()));
        } finally {
            server.close();
        }
    }

    @Test
    void aClientThatNeverFinishesItsMessageIsCutOffAtTheShutdownTimeout() throws Exception {
        TestSupport.Capture capture = new TestSupport.Capture();
        SmtpServer server = TestSupport.server(capture).shutdownTimeout(Duration.ofMillis(500)).build().start();
        try (SmtpClient stuck = ready(server)) {
            stuck.command("MAIL FROM:<a@example.org>");
            stuck.command("RCPT TO:<b@example.org>");
            assertTrue(stuck.command("DATA").startsWith("354"));
            stuck.send("Subject: never ends\r\n\r\n");

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            closing.get(30, TimeUnit.SECONDS);
            assertTrue(stuck.closedByServer(), "cut off without a reply to a message it never ended");
            assertEquals(0, capture.messages.size(), "nothing half-received is delivered");
        } finally {
            server.close();
        }
    }

    @Test
    void aTlsHandshakeUnderWayIsCutOffAtOnce() throws Exception {
        Duration shutdownTimeout = Duration.ofSeconds(30);
        SmtpServer server = TestSupport.server(new TestSupport.Capture()).tls(TestSupport.serverTls())
                .shutdownTimeout(shutdownTimeout).build().start();
        try (SmtpClient shaking = ready(server); SmtpClient idle = ready(server)) {
            assertTrue(shaking.command("STARTTLS").startsWith("220"));
            // A ClientHello and nothing after it: the server answers with its first flight and
            // waits for the client's.
            SSLEngine client = TestTls.trustAll().createSSLEngine("localhost", server.port());
            client.setUseClientMode(true);
            client.beginHandshake();
            ByteBuffer hello = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
            client.wrap(ByteBuffer.allocate(0), hello);
            shaking.send(Arrays.copyOf(hello.array(), hello.position()));
            InputStream in = shaking.socket().getInputStream();
            assertEquals(0x16, in.read(), "the server's handshake record");

            long start = System.nanoTime();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals(SHUTTING_DOWN, idle.reply());
            assertTrue(drainsToClose(in), "the handshake is cut off");
            closing.get(30, TimeUnit.SECONDS);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertTrue(took.compareTo(shutdownTimeout.dividedBy(2)) < 0,
                    "close did not wait for the handshake to time out: " + took);
            // A handshake done before the close begins is an ordinary session: told 421 under TLS.
        } finally {
            server.close();
        }
    }

    @Test
    void aSessionUnderTlsIsTold421UnderTls() throws Exception {
        SmtpServer server = TestSupport.server(new TestSupport.Capture()).tls(TestSupport.serverTls()).build().start();
        try (SmtpClient client = ready(server)) {
            assertTrue(client.command("STARTTLS").startsWith("220"));
            client.startTls(TestTls.trustAll());
            assertTrue(client.command("EHLO x.example").startsWith("250"));
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals(SHUTTING_DOWN, client.reply());
            assertTrue(client.closedByServer());
            closing.get(30, TimeUnit.SECONDS);
        } finally {
            server.close();
        }
    }

    /** Connected, greeted, EHLO answered. */
    private static SmtpClient ready(SmtpServer server) throws IOException {
        SmtpClient client = SmtpClient.connect(server);
        assertTrue(client.reply().startsWith("220"));
        assertTrue(client.command("EHLO client.example").startsWith("250"));
        return client;
    }

    /** Reads whatever else comes until the server closes (true) or the read times out in silence (false). */
    private static boolean drainsToClose(InputStream in) throws IOException {
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // the rest of the server's flight
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /** The content after the Received header the server prepends. */
    private static String afterReceived(String content) {
        int end = content.indexOf("\r\n", content.indexOf("Received:"));
        while (content.charAt(end + 2) == ' ' || content.charAt(end + 2) == '\t') {
            end = content.indexOf("\r\n", end + 2);
        }
        return content.substring(end + 2);
    }
}
