package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.TestTls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --tls-cert/--tls-key/--tls-port/--auth-file/--require-auth wired through to the server, with smtp-server's test certificates. */
class TlsCliTest {

    @TempDir
    static Path temp;
    static Path cert;
    static Path key;
    static Path users;

    private final CliHarness cli = new CliHarness();

    @BeforeAll
    static void copyCertificate() throws Exception {
        cert = TestTls.copy(TestTls.RSA_CERT, temp);
        key = TestTls.copy(TestTls.RSA_KEY, temp);
        users = Files.writeString(temp.resolve("users"), "# test users\nalice:wonderland\n");
    }

    @AfterEach
    void closeServers() {
        cli.close();
    }

    @Test
    void startTlsAndImplicitTlsWithAuth() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--tls-cert", cert.toString(),
                "--tls-key", key.toString(), "--tls-port", "0", "--auth-file", users.toString(),
                "--auth-failure-delay", "0"); // the wrong password below is answered at once
        String line = serving.outText().lines().findFirst().orElseThrow();
        Matcher tlsPort = Pattern.compile("with TLS on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
        assertTrue(tlsPort.find(), line);
        serving.startLine();

        try (SmtpClient plain = SmtpClient.connect(serving.address())) {
            plain.reply();
            String ehlo = plain.command("EHLO c");
            assertTrue(ehlo.contains("STARTTLS"), ehlo);
            assertFalse(ehlo.contains("AUTH"), "no AUTH before TLS: " + ehlo);
        }

        InetSocketAddress implicit = new InetSocketAddress("127.0.0.1", Integer.parseInt(tlsPort.group(1)));
        try (SmtpClient tls = SmtpClient.connectTls(implicit, TestTls.trustAll())) {
            assertTrue(tls.reply().startsWith("220"));
            String ehlo = tls.command("EHLO c");
            assertTrue(ehlo.contains("AUTH") && ehlo.contains("PLAIN") && ehlo.contains("LOGIN"), ehlo);
            String wrong = Base64.getEncoder().encodeToString("\0alice\0guess".getBytes(StandardCharsets.UTF_8));
            assertTrue(tls.command("AUTH PLAIN " + wrong).startsWith("535"));
            String right = Base64.getEncoder().encodeToString("\0alice\0wonderland".getBytes(StandardCharsets.UTF_8));
            assertTrue(tls.command("AUTH PLAIN " + right).startsWith("235"));
            assertTrue(tls.command("MAIL FROM:<alice@example.org>").startsWith("250"));
        }
    }

    @Test
    void requireAuthRefusesMailBeforeAuth() throws Exception {
        CliHarness.Serving serving = cli.serve("-l", "127.0.0.1:0", "-c", "sink", "--auth-file", users.toString(),
                "--require-auth", "--allow-insecure-auth");
        try (SmtpClient client = SmtpClient.connect(serving.address())) {
            client.reply();
            assertTrue(client.command("EHLO c").contains("AUTH"), "--allow-insecure-auth offers AUTH without TLS");
            assertTrue(client.command("MAIL FROM:<a@example.org>").startsWith("530"));
            String right = Base64.getEncoder().encodeToString("\0alice\0wonderland".getBytes(StandardCharsets.UTF_8));
            assertTrue(client.command("AUTH PLAIN " + right).startsWith("235"));
            assertTrue(client.command("MAIL FROM:<a@example.org>").startsWith("250"));
        }
    }

    @Test
    void aMalformedAuthFileIsOneLineWithoutThePassword() throws IOException {
        Path bad = Files.writeString(temp.resolve("bad-users"), "alice:wonderland\nbob secret-password\n");
        String line = cli.run("-l", "127.0.0.1:0", "--auth-file", bad.toString(), "--allow-insecure-auth").assertUsageError();
        assertTrue(line.contains("line 2"), line);
        assertFalse(line.contains("secret-password") || line.contains("wonderland"), line);
    }

    @Test
    void aCertificateWithoutItsKeyIsOneLine() {
        cli.run("-l", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", cert.toString()).assertUsageError();
    }

    @Test
    void theImplicitTlsPortInUseIsOneLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            String line = cli.run("-l", "127.0.0.1:0", "--tls-cert", cert.toString(), "--tls-key", key.toString(),
                    "--tls-port", String.valueOf(taken.getLocalPort())).assertUsageError();
            assertTrue(line.contains(String.valueOf(taken.getLocalPort())), line);
        }
    }
}
