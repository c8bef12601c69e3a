package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.ChildProcess;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** TLS abuse over real sockets: renegotiation, garbage instead of a ClientHello. */
class TlsEdgeTest {

    @Test
    void clientInitiatedRenegotiationIsRefused() throws Exception {
        try (SmtpServer server = server(new TestSupport.Capture()).tls(TestSupport.serverTls()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            assertTrue(c.command("STARTTLS").startsWith("220"));
            // Renegotiation exists only up to TLS 1.2; each one costs the server a full handshake.
            SSLSocket tls = c.startTls(TestSupport.trustAll(), "TLSv1.2");
            assertTrue(c.command("NOOP").startsWith("250"));
            boolean refused;
            try {
                tls.startHandshake(); // asks for a renegotiation
                c.send("NOOP\r\n");
                refused = c.readLine() == null;
            } catch (IOException e) {
                refused = true;
            }
            assertTrue(refused, "the server renegotiated");
            // The server goes on with other clients.
            try (SmtpClient other = SmtpClient.connect(server)) {
                assertTrue(other.reply().startsWith("220"));
            }
        }
    }

    @Test
    void enginesThatUnderstateTheirBufferSizesStillWork() throws Exception {
        // SSLEngine's contract: on BUFFER_OVERFLOW, enlarge the buffer and try again. The
        // server's buffers are sized from what the engine claims, here far too little for a
        // certificate flight or a full record.
        javax.net.ssl.SSLContext tls = SmallBufferTls.wrap(TestSupport.serverTls(), 256);
        java.util.concurrent.ExecutorService single = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (SmtpServer server = server(new TestSupport.Capture()).tls(tls).build().start()) {
            java.util.concurrent.Future<String> session = single.submit(() -> {
                try (SmtpClient c = SmtpClient.connect(server)) {
                    c.reply();
                    c.command("EHLO x.example");
                    c.command("STARTTLS");
                    c.startTls(TestSupport.trustAll());
                    String ehlo = c.command("EHLO x.example");
                    String big = "x".repeat(20_000);
                    String sent = c.sendMail("a@example.org", "b@example.org", big);
                    return ehlo.split("\n")[0] + " / " + sent;
                }
            });
            assertEquals("250-localhost / 250 2.0.0 OK", session.get(30, java.util.concurrent.TimeUnit.SECONDS));
        } finally {
            single.shutdownNow();
        }
    }

    /** What a client might send instead of a ClientHello after STARTTLS. */
    private static final byte[][] GARBAGE = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
        "EHLO again\r\n".getBytes(StandardCharsets.US_ASCII),
        {0x16, 0x03, 0x03, 0x00, 0x05, 1, 0, 0, 1, 0},
        {(byte) 0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0, 0, 0, 0x10},
        {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28},
        {0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4},
        new byte[20_000],
    };

    @Test
    void garbageInsteadOfClientHelloClosesQuietly() throws Exception {
        // In a JVM of its own, so that what the server logs is read from that JVM's stderr
        // instead of swapping this one's System.err under the tests running alongside.
        ChildProcess.Result child = ChildProcess.run(ChildProcess.java(List.of(), TlsEdgeTest.class.getName(),
                List.of("garbage")), Duration.ofSeconds(60));
        assertEquals(0, child.exitCode(), child.output());
        String log = child.err();
        assertTrue(log.contains("listening on"), "the child's log is read: " + log);
        assertFalse(log.contains("WARN") || log.contains("ERROR") || log.contains("\tat "), log);
    }

    /** The child JVM of {@link #garbageInsteadOfClientHelloClosesQuietly}: exits 0 if every connection closed. */
    public static void main(String[] args) throws Exception {
        if (!List.of("garbage").equals(List.of(args))) {
            throw new IllegalArgumentException("usage: TlsEdgeTest garbage");
        }
        try (SmtpServer server = server(new TestSupport.Capture()).tls(TestSupport.serverTls()).build().start()) {
            for (byte[] g : GARBAGE) {
                try (SmtpClient c = SmtpClient.connect(server)) {
                    c.reply();
                    c.command("EHLO x.example");
                    assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
                    c.send(g);
                    assertTrue(c.closedByServer(), "still open after " + Arrays.toString(Arrays.copyOf(g, 8)));
                }
            }
            try (SmtpClient c = SmtpClient.connect(server)) {
                assertTrue(c.reply().startsWith("220"));
            }
        }
    }
}
