package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.testsupport.ChildProcess;
import io.smtpkit.server.testsupport.SmtpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** No credential reaches a log line, whatever the authenticator does (README, Running it exposed). */
class CredentialLoggingTest {

    private static final String SECRET = "Tr0ub4dor-and-3";

    /** Fails every other way, then succeeds: each AUTH path that could log a credential. */
    private static final Authenticator AUTHENTICATOR = (user, password) -> {
        if (user.equals("boom")) {
            throw new IllegalStateException("backend down while checking " + user + "/" + password);
        }
        return user.equals("alice") && password.equals(SECRET);
    };

    /** The AUTH exchanges, PLAIN and LOGIN, failed, broken and good. */
    private static void authExchanges() throws Exception {
        try (SmtpServer server = plainAuthServer(AUTHENTICATOR); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            assertTrue(c.command("AUTH PLAIN " + b64("\0boom\0" + SECRET)).startsWith("454"));
            assertTrue(c.command("AUTH PLAIN " + b64("\0alice\0" + SECRET + "x")).startsWith("535"));
            assertTrue(c.command("AUTH LOGIN").startsWith("334"));
            assertTrue(c.command(b64("alice")).startsWith("334"));
            assertTrue(c.command(b64(SECRET)).startsWith("235"));
            assertTrue(c.command("AUTH PLAIN " + b64("\0alice\0" + SECRET)).startsWith("503"));
            c.command("QUIT");
        }
    }

    private static void assertNoSecret(String log) {
        assertTrue(log.contains("authenticator failed"), log);
        assertFalse(log.contains(SECRET), log);
        assertFalse(log.contains(b64("\0alice\0" + SECRET)), log);
        assertFalse(log.contains(b64(SECRET)), log);
    }

    /** At the default level, in a child JVM whose stderr is the log (this JVM's System.err stays as it is). */
    @Test
    void passwordsNeverReachTheLog() throws Exception {
        ChildProcess.Result child = ChildProcess.run(ChildProcess.java(
                List.of("-Dorg.slf4j.simpleLogger.logFile=System.err"),
                CredentialLoggingTest.class.getName(), List.of()), Duration.ofSeconds(60));
        assertEquals(0, child.exitCode(), child.output());
        assertNoSecret(child.err());
    }

    /**
     * The same at TRACE, where lines carry what the peer sent: slf4j-simple reads its level once,
     * so the exchanges run in a child JVM started with the level set (see {@link #main}).
     */
    @Test
    void passwordsNeverReachTheLogAtTrace() throws Exception {
        ChildProcess.Result child = ChildProcess.run(ChildProcess.java(
                List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=trace", "-Dorg.slf4j.simpleLogger.logFile=System.err"),
                CredentialLoggingTest.class.getName(), List.of()), Duration.ofSeconds(60));
        assertEquals(0, child.exitCode(), child.output());
        assertTrue(child.err().contains("DEBUG"), "the child logged at DEBUG: " + child.err());
        assertNoSecret(child.err());
    }

    /** The child JVM of both tests above: exits 0 if every reply was as expected. */
    public static void main(String[] args) throws Exception {
        authExchanges();
    }

    @Test
    void actingAsAnotherUserIsRefused() throws Exception {
        // RFC 4616 §2: an authorization identity other than the authenticated one needs a proxy
        // right that an Authenticator (user, password) cannot grant, so it must fail.
        Authenticator authenticator = (user, password) -> user.equals("alice") && password.equals(SECRET);
        try (SmtpServer server = plainAuthServer(authenticator); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            assertTrue(c.command("AUTH PLAIN " + b64("bob\0alice\0" + SECRET)).startsWith("535"));
            assertTrue(c.command("AUTH PLAIN " + b64("alice\0alice\0" + SECRET)).startsWith("235"));
        }
    }

    /** AUTH without TLS, so the test needs no handshake; and no failure delay, so it needs no wait. */
    private static SmtpServer plainAuthServer(Authenticator authenticator) throws java.io.IOException {
        return server(new TestSupport.Capture()).authenticator(authenticator).authFailureDelay(java.time.Duration.ZERO)
                .config(SessionConfig.builder().allowInsecureAuth(true).build()).build().start();
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
