package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.TestSupport.Received;
import io.smtpkit.server.testsupport.SmtpClient;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.net.InetSocketAddress;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real client library (Angus Mail, the Jakarta Mail implementation) against the server. */
class JakartaMailTest {

    private static Properties properties(int port) {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(port));
        p.put("mail.smtp.localhost", "client.example");
        p.put("mail.smtp.connectiontimeout", "20000");
        p.put("mail.smtp.timeout", "20000");
        p.put("mail.smtp.ssl.trust", "*");
        return p;
    }

    private static MimeMessage message(Session session, String subject) throws Exception {
        MimeMessage m = new MimeMessage(session);
        m.setFrom("sender@example.org");
        m.setRecipients(RecipientType.TO, "rcpt@example.org");
        m.setSubject(subject);
        m.setText("Hello from Jakarta Mail.\n.\nA line with a lone dot above.\n");
        return m;
    }

    @Test
    void plain() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).build().start()) {
            Session session = Session.getInstance(properties(server.port()));
            Transport.send(message(session, "plain"));
            Received r = capture.take();
            assertEquals("rcpt@example.org", r.envelope().recipients().get(0).address());
            assertTrue(r.text().contains("Subject: plain"));
            assertTrue(r.text().contains("\r\n.\r\nA line with a lone dot above."), r.text());
            assertNull(r.tls());
        }
    }

    @Test
    void startTls() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = server(capture).tls(TestSupport.serverTls()).build().start()) {
            Properties p = properties(server.port());
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
            Transport.send(message(Session.getInstance(p), "tls"));
            Received r = capture.take();
            assertNotNull(r.tls());
            assertTrue(r.tls().getProtocol().equals("TLSv1.3") || r.tls().getProtocol().equals("TLSv1.2"));
            assertTrue(r.text().contains(" with ESMTPS id "));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"PLAIN", "LOGIN"})
    void authenticatesAfterStartTls(String mechanism) throws Exception {
        Capture capture = new Capture();
        AtomicInteger calls = new AtomicInteger();
        Authenticator authenticator = (user, password) -> {
            calls.incrementAndGet();
            return user.equals("alice") && password.equals("s3cret pass");
        };
        try (SmtpServer server = server(capture).tls(TestSupport.serverTls()).authenticator(authenticator)
                .authFailureDelay(java.time.Duration.ZERO).build().start()) {
            Properties p = properties(server.port());
            p.put("mail.smtp.starttls.enable", "true");
            p.put("mail.smtp.starttls.required", "true");
            p.put("mail.smtp.auth", "true");
            p.put("mail.smtp.auth.mechanisms", mechanism);
            Session session = Session.getInstance(p);
            Transport.send(message(session, "auth"), "alice", "s3cret pass");
            Received r = capture.take();
            assertEquals("alice", r.user());
            assertTrue(r.text().contains(" with ESMTPSA id "), r.text());
            assertThrows(AuthenticationFailedException.class,
                    () -> Transport.send(message(session, "wrong"), "alice", "wrong"));
            assertEquals(2, calls.get());
        }
    }

    @Test
    void authIsNotOfferedWithoutTls() throws Exception {
        try (SmtpServer server = server(new Capture()).tls(TestSupport.serverTls())
                .authenticator((u, pw) -> true).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            String ehlo = c.command("EHLO x.example");
            assertFalse(ehlo.contains("AUTH"), ehlo);
            assertTrue(c.command("AUTH PLAIN AGFsaWNlAHB3").startsWith("538"));
        }
    }

    @Test
    void implicitTls() throws Exception {
        Capture capture = new Capture();
        try (SmtpServer server = SmtpServer.builder()
                .listenTls(new InetSocketAddress("127.0.0.1", 0))
                .handler(capture)
                .tls(TestSupport.serverTls())
                .authenticator((user, password) -> password.equals("pw"))
                .build()
                .start()) {
            Properties p = properties(server.port());
            p.put("mail.smtp.ssl.enable", "true");
            p.put("mail.smtp.auth", "true");
            Transport.send(message(Session.getInstance(p), "smtps"), "bob", "pw");
            Received r = capture.take();
            assertNotNull(r.tls());
            assertEquals("bob", r.user());
            // A raw TLS client: no STARTTLS on an implicit-TLS port, AUTH offered at once.
            try (SmtpClient c = SmtpClient.connect(server.addresses().get(0))) {
                c.startTls(TestSupport.trustAll());
                assertTrue(c.reply().startsWith("220"));
                String ehlo = c.command("EHLO x.example");
                assertFalse(ehlo.contains("STARTTLS"), ehlo);
                assertTrue(ehlo.contains("AUTH PLAIN LOGIN"), ehlo);
            }
        }
    }
}
