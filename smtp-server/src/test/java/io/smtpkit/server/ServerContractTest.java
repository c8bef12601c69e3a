package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.resource;
import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.TestTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/** What SmtpServer.Builder refuses, and the TLS it offers: 1.2 at least (RFC 8996), RSA or EC. */
class ServerContractTest {

    @Test
    void aServerNeedsAHandler() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SmtpServer.builder().build());
        assertTrue(e.getMessage().contains("handler"), e.getMessage());
    }

    @Test
    void anImplicitTlsListenerNeedsATlsContext() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> server(new TestSupport.Capture())
                .listenTls(new InetSocketAddress("127.0.0.1", 0)).build());
        assertTrue(e.getMessage().contains("tls"), e.getMessage());
    }

    @Test
    void negativeLimitsAreRefused() {
        SmtpServer.Builder b = server(new TestSupport.Capture());
        for (Runnable negative : List.<Runnable>of(
                () -> b.maxConnections(-1),
                () -> b.maxConnectionsPerClient(-1),
                () -> b.maxConnectionRatePerClient(-1),
                () -> b.envelopeMemory(-1),
                () -> b.bufferMemory(-1),
                () -> b.spoolThreshold(-1),
                () -> b.authFailureDelay(Duration.ofSeconds(-1)),
                () -> b.authenticatorThreads(0),
                () -> b.idleTimeout(Duration.ZERO))) {
            assertThrows(IllegalArgumentException.class, negative::run);
        }
    }

    /**
     * A TLS 1.0 or 1.1 client is refused by the server itself. The JDK disables both by default
     * (jdk.tls.disabledAlgorithms), client side too, so the check runs in a child JVM whose
     * security properties allow them, and first shows that the client can shake hands with
     * TLS 1.0/1.1 against a plain SSLServerSocket: the refusal that follows is the server's.
     */
    @Test
    void tlsBelow12IsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path security = java.nio.file.Files.writeString(dir.resolve("java.security"),
                "jdk.tls.disabledAlgorithms=SSLv3, RC4, DES, NULL, anon\n");
        io.smtpkit.server.testsupport.ChildProcess.Result child = io.smtpkit.server.testsupport.ChildProcess.run(
                io.smtpkit.server.testsupport.ChildProcess.java(List.of("-Djava.security.properties=" + security),
                        ServerContractTest.class.getName(), List.of()), Duration.ofSeconds(60));
        assertEquals(0, child.exitCode(), child.output());
        assertEquals("TLSv1 shakes hands with a plain socket, is refused by the server\n"
                + "TLSv1.1 shakes hands with a plain socket, is refused by the server\n", child.out(), child.output());
    }

    /** The child JVM of {@link #tlsBelow12IsRefused}. */
    public static void main(String[] args) throws Exception {
        SSLContext context = TestSupport.serverTls();
        for (String protocol : List.of("TLSv1", "TLSv1.1")) {
            // The control: this JVM's client and server can speak the old protocol.
            try (javax.net.ssl.SSLServerSocket plain = (javax.net.ssl.SSLServerSocket) context.getServerSocketFactory()
                    .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                plain.setEnabledProtocols(new String[] {protocol});
                java.util.concurrent.CompletableFuture<Void> accepted = java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try (SSLSocket s = (SSLSocket) plain.accept()) {
                        s.startHandshake();
                        s.getOutputStream().write('!');
                        s.getOutputStream().flush();
                        s.getInputStream().read();
                    } catch (IOException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                try (SSLSocket client = (SSLSocket) TestTls.trustAll().getSocketFactory()
                        .createSocket(java.net.InetAddress.getLoopbackAddress(), plain.getLocalPort())) {
                    client.setSoTimeout(10_000);
                    client.setEnabledProtocols(new String[] {protocol});
                    client.startHandshake();
                    if (client.getInputStream().read() != '!' || !protocol.equals(client.getSession().getProtocol())) {
                        throw new AssertionError(protocol + " control handshake failed");
                    }
                }
                accepted.get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            System.out.print(protocol + " shakes hands with a plain socket, ");
            try (SmtpServer server = server(new TestSupport.Capture()).tls(context).build().start();
                    SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO x.example");
                if (!c.command("STARTTLS").startsWith("220")) {
                    throw new AssertionError("no STARTTLS");
                }
                try {
                    SSLSocket tls = c.startTls(TestTls.trustAll(), protocol);
                    System.out.println("is ACCEPTED by the server (" + tls.getSession().getProtocol() + ")");
                } catch (SSLException refused) {
                    System.out.println("is refused by the server");
                }
            }
        }
    }

    @Test
    void startTlsWithTheEcCertificate() throws Exception {
        SSLContext ec = PemTls.load(resource(TestTls.EC_CERT), resource(TestTls.EC_KEY));
        try (SmtpServer server = server(new TestSupport.Capture()).tls(ec).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
            SSLSocket tls = c.startTls(TestTls.trustAll());
            X509Certificate shown = (X509Certificate) tls.getSession().getPeerCertificates()[0];
            assertEquals("EC", shown.getPublicKey().getAlgorithm());
            assertTrue(c.command("EHLO x.example").startsWith("250"));
            assertTrue(c.command("MAIL FROM:<a@example.org>").startsWith("250"));
        } catch (IOException e) {
            throw new AssertionError("STARTTLS with the EC certificate failed", e);
        }
    }
}
