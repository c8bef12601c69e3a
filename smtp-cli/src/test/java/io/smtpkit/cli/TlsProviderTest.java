package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.TestTls;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --tls-provider: the JDK's TLS or Conscrypt's (a test dependency here; never in the jar). */
class TlsProviderTest {

    @TempDir
    static Path temp;
    static Path cert;
    static Path key;

    private final CliHarness cli = new CliHarness();

    @BeforeAll
    static void copyCertificate() throws Exception {
        cert = TestTls.copy(TestTls.RSA_CERT, temp);
        key = TestTls.copy(TestTls.RSA_KEY, temp);
    }

    @AfterEach
    void closeServers() {
        cli.close();
    }

    @Test
    void namesAreJdkAndConscrypt() throws UsageError {
        assertNull(TlsProvider.named("jdk"));
        assertNull(TlsProvider.named("JDK"));
        assertEquals("Conscrypt", TlsProvider.named("conscrypt").getName());
        UsageError unknown = assertThrows(UsageError.class, () -> TlsProvider.named("openssl"));
        assertEquals("--tls-provider must be jdk or conscrypt, not openssl", unknown.getMessage());
    }

    @Test
    void conscryptMissingFromTheClassPathSaysHowToAddIt() {
        UsageError missing = assertThrows(UsageError.class, () -> TlsProvider.conscrypt("org.example.NoConscrypt"));
        assertTrue(missing.getMessage().contains("not on the class path") && missing.getMessage().contains("conscrypt-openjdk-uber"),
                missing.getMessage());
    }

    @Test
    void anUnknownProviderIsAUsageError() {
        cli.run("-l", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
                "--tls-provider", "boring").assertUsageError();
    }

    @Test
    void aServerOnConscryptTakesMailOverStartTlsAndImplicitTls() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--tls-cert", cert.toString(),
                "--tls-key", key.toString(), "--tls-port", "0", "--tls-provider", "conscrypt");
        String line = serving.outText().lines().findFirst().orElseThrow();
        Matcher tlsPort = Pattern.compile("with TLS on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
        assertTrue(tlsPort.find(), line);

        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            client.command("EHLO c");
            assertTrue(client.command("STARTTLS").startsWith("220"));
            SSLSocket tls = client.startTls(TestTls.trustAll());
            assertTrue(tls.getSession().getProtocol().startsWith("TLSv1."), tls.getSession().getProtocol());
            assertTrue(client.command("EHLO c").startsWith("250"));
            assertTrue(client.sendMail("a@example.org", "b@example.org", "Subject: x\r\n\r\nover Conscrypt").startsWith("250"));
        }
        InetSocketAddress implicit = new InetSocketAddress("127.0.0.1", Integer.parseInt(tlsPort.group(1)));
        try (SmtpClient client = SmtpClient.connectTls(implicit, TestTls.trustAll())) {
            assertTrue(client.reply().startsWith("220"));
            assertTrue(client.command("EHLO c").startsWith("250"));
            assertTrue(client.sendMail("a@example.org", "b@example.org", "Subject: y\r\n\r\nimplicit").startsWith("250"));
        }
    }
}
