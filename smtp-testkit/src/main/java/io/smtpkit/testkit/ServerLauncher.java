package io.smtpkit.testkit;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.SmtpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Turns a {@link SmtpServerExtension.Builder}'s settings into a started {@link SmtpServer}
 * around the {@link Recorder}, with the limits a real server needs and a test must not hit.
 */
final class ServerLauncher {

    /** A started server, its certificate ({@code null} without TLS), and what broke it, if anything did. */
    record Running(SmtpServer server, TestCertificate certificate, AtomicReference<Throwable> fatal) {

        /** The plain listener's port: the first, as {@link #start} adds it first. */
        int port() {
            return server.addresses().get(0).getPort();
        }

        /** The implicit-TLS listener's port: the last, as {@link #start} adds it last. */
        int tlsPort() {
            List<InetSocketAddress> addresses = server.addresses();
            return addresses.get(addresses.size() - 1).getPort();
        }

        /** How Jakarta Mail reaches this server; see {@link SmtpServerExtension#mailProperties()}. */
        Properties mailProperties(String host, Duration timeout) {
            Properties p = new Properties();
            p.put("mail.smtp.host", host);
            p.put("mail.smtp.port", String.valueOf(port()));
            // A client that waits longer than the test's own wait would only hide where it hung.
            String millis = String.valueOf(timeout.toMillis());
            p.put("mail.smtp.connectiontimeout", millis);
            p.put("mail.smtp.timeout", millis);
            p.put("mail.smtp.writetimeout", millis);
            if (certificate != null) {
                p.put("mail.smtp.starttls.enable", "true");
                p.put("mail.smtp.starttls.required", "true");
                p.put("mail.smtp.ssl.socketFactory", certificate.socketFactory());
                p.put("mail.smtp.ssl.checkserveridentity", "true");
            }
            return p;
        }
    }

    private ServerLauncher() {}

    static Running start(SmtpServerExtension.Builder settings, Recorder recorder, String host) {
        SessionConfig.Builder config = settings.config.toBuilder();
        if (settings.requireTls != null) {
            config.requireTls(settings.requireTls);
        }
        if (settings.requireAuth != null) {
            config.requireAuth(settings.requireAuth);
        }
        if (settings.smtpUtf8 != null) {
            config.smtpUtf8(settings.smtpUtf8);
        }
        if (settings.lmtp) {
            config.lmtp(true);
        }
        if (settings.maxMessageSize != null) {
            config.maxMessageSize(settings.maxMessageSize);
        }
        boolean tls = settings.tls || settings.implicitTls;
        if (!settings.users.isEmpty() && !tls) {
            config.allowInsecureAuth(true); // a test without TLS still wants to test its AUTH
        }
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        SmtpServer.Builder b = SmtpServer.builder()
                .listen(new InetSocketAddress(host, settings.port))
                .config(config.build())
                .handler(recorder)
                .tap(recorder)
                .receivedHeader(settings.receivedHeader)
                // Tests connect a lot from one address, and fail AUTH on purpose.
                .maxConnectionsPerClient(0)
                .maxConnectionRatePerClient(0)
                .maxAuthFailuresPerClient(0)
                .authFailureDelay(Duration.ZERO)
                .shutdownTimeout(Duration.ofSeconds(1))
                // A test JVM must not exit because a server broke: the failure reports say so instead.
                .onFatalError(fatal::set);
        TestCertificate certificate = null;
        if (tls) {
            certificate = TestCertificate.generate(host);
            b.tls(certificate.serverContext());
            if (settings.implicitTls) {
                b.listenTls(new InetSocketAddress(host, 0));
            }
        }
        if (!settings.users.isEmpty()) {
            Map<String, String> users = Map.copyOf(settings.users);
            Authenticator check = (user, password) -> password.equals(users.get(user));
            b.authenticator(check);
        }
        for (Consumer<SmtpServer.Builder> c : settings.serverCustomizers) {
            c.accept(b);
        }
        recorder.serverStarted();
        try {
            return new Running(b.build().start(), certificate, fatal);
        } catch (IOException e) {
            throw new UncheckedIOException("the test server cannot listen: " + e.getMessage(), e);
        }
    }
}
