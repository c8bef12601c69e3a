package io.smtpkit.testkit;

import static io.smtpkit.testkit.SmtpServerExtensionTest.allMessages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import java.security.KeyStore;
import java.util.Properties;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Builder options, each checked through Angus Mail. Instance fields: one server per test. */
class OptionsTest {

    @RegisterExtension
    final SmtpServerExtension tls = SmtpServerExtension.builder().tls().implicitTls().user("alice", "wonderland").build();

    @RegisterExtension
    final SmtpServerExtension strict = SmtpServerExtension.builder().user("alice", "wonderland").requireAuth()
            .maxMessageSize(2000).smtpUtf8().build();

    @Test
    void startTlsWithTheGeneratedCertificateTrustedByTheClient() throws Exception {
        Mail.send(tls, "a@example.org", "secret", "over TLS", "b@example.org");

        assertThat(tls.awaitMessage()).wasSentOverTls();
        assertThat(tls.clientUsedTls()).isTrue();
        assertThat(tls.sessions()).singleElement().satisfies(s -> assertThat(s.usedTls()).isTrue());
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateFails() {
        Properties props = tls.mailProperties();
        props.remove("mail.smtp.ssl.socketFactory"); // the JDK's default trust store

        assertThatThrownBy(() -> Mail.send(props, "a@example.org", "s", "x", "b@example.org"))
                .isInstanceOf(MessagingException.class)
                .satisfies(e -> assertThat(HandlerFaultsTest.causes(e)).anyMatch(c -> c instanceof SSLHandshakeException));
        tls.assertNoMessagesFor(java.time.Duration.ofMillis(50));
    }

    @Test
    void implicitTlsPortAndTheTrustMaterial() throws Exception {
        Properties props = tls.mailProperties();
        props.put("mail.smtp.port", String.valueOf(tls.tlsPort()));
        props.put("mail.smtp.ssl.enable", "true");
        props.remove("mail.smtp.starttls.enable");
        props.remove("mail.smtp.starttls.required");

        Mail.send(props, "a@example.org", "s", "x", "b@example.org");

        assertThat(tls.awaitMessage().overTls()).isTrue();
        TestCertificate cert = tls.certificate();
        assertThat(cert.pem()).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
        KeyStore trust = cert.trustStore();
        assertThat(trust.getCertificate("smtpkit-testkit")).isEqualTo(cert.certificate());
        assertThat(cert.certificate().getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))))
                .contains("localhost", "127.0.0.1");
        cert.certificate().checkValidity();
        cert.certificate().verify(cert.certificate().getPublicKey()); // self-signed, really
    }

    @Test
    void authUsersAndTheMechanismUsed() throws Exception {
        Session session = Session.getInstance(tls.mailProperties());
        Transport.send(Mail.message(session, "alice@example.org", "s", "x", "b@example.org"), "alice", "wonderland");

        assertThat(tls.awaitMessage()).wasAuthenticatedAs("alice").wasSentOverTls();
        assertThatThrownBy(() -> Transport.send(Mail.message(session, "a@example.org", "s", "x", "b@example.org"),
                "alice", "guess")).isInstanceOf(AuthenticationFailedException.class);
    }

    @Test
    void requiredAuthWithoutTlsSizeLimitAndSmtpUtf8() throws Exception {
        assertThatThrownBy(() -> Mail.send(strict, "a@example.org", "s", "x", "b@example.org"))
                .satisfies(e -> assertThat(allMessages(e)).contains("530"));

        Properties props = strict.mailProperties();
        props.put("mail.mime.allowutf8", "true");
        Session session = Session.getInstance(props);
        Transport.send(Mail.message(session, "álice@exämple.org", "Grüße", "x", "bøb@example.org"), "alice", "wonderland");
        ReceivedMessage m = strict.awaitMessage();
        assertThat(m.sender()).isEqualTo("álice@exämple.org");
        assertThat(m.envelope().smtpUtf8()).isTrue();

        String big = "x".repeat(5000);
        assertThatThrownBy(() -> Transport.send(Mail.message(session, "a@example.org", "s", big, "b@example.org"),
                "alice", "wonderland")).satisfies(e -> assertThat(allMessages(e)).contains("552"));
    }

    @Test
    void timeoutFromPropertyOrBuilder() {
        assertThat(Durations.parse("30s")).hasSeconds(30);
        assertThat(Durations.parse("500ms")).hasMillis(500);
        assertThat(Durations.parse("2m")).hasMinutes(2);
        assertThat(Durations.parse("PT1M")).hasMinutes(1);
        assertThat(Durations.parse("1500")).hasMillis(1500);
        String before = System.getProperty(SmtpServerExtension.TIMEOUT_PROPERTY);
        try {
            System.setProperty(SmtpServerExtension.TIMEOUT_PROPERTY, "3s");
            assertThat(SmtpServerExtension.create().defaultTimeout()).hasSeconds(3);
            assertThat(SmtpServerExtension.builder().defaultTimeout(java.time.Duration.ofMillis(700)).build()
                    .defaultTimeout()).hasMillis(700);
            System.setProperty(SmtpServerExtension.TIMEOUT_PROPERTY, "soon");
            assertThatThrownBy(SmtpServerExtension::create).hasMessageContaining(SmtpServerExtension.TIMEOUT_PROPERTY);
        } finally {
            if (before == null) {
                System.clearProperty(SmtpServerExtension.TIMEOUT_PROPERTY);
            } else {
                System.setProperty(SmtpServerExtension.TIMEOUT_PROPERTY, before);
            }
        }
        assertThat(SmtpServerExtension.create().defaultTimeout()).isEqualTo(SmtpServerExtension.DEFAULT_TIMEOUT);
    }
}
