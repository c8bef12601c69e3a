package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** No credential reaches a log line, whatever the authenticator does (DESIGN.md, security defaults). */
class CredentialLoggingTest {

    private static final String SECRET = "Tr0ub4dor-and-3";

    @Test
    void passwordsNeverReachTheLog() throws Exception {
        Authenticator authenticator = (user, password) -> {
            if (user.equals("boom")) {
                throw new IllegalStateException("backend down while checking " + user + "/" + password);
            }
            return user.equals("alice") && password.equals(SECRET);
        };
        String plain = b64("\0alice\0" + SECRET);
        String log = TlsEdgeTest.captureStderr(() -> {
            try (SmtpServer server = plainAuthServer(authenticator); TestClient c = TestClient.connect(server)) {
                c.reply();
                c.command("EHLO x.example");
                assertTrue(c.command("AUTH PLAIN " + b64("\0boom\0" + SECRET)).startsWith("454"));
                assertTrue(c.command("AUTH PLAIN " + b64("\0alice\0" + SECRET + "x")).startsWith("535"));
                assertTrue(c.command("AUTH LOGIN").startsWith("334"));
                assertTrue(c.command(b64("alice")).startsWith("334"));
                assertTrue(c.command(b64(SECRET)).startsWith("235"));
                assertTrue(c.command("AUTH PLAIN " + plain).startsWith("503"));
                c.command("QUIT");
            }
        });
        assertTrue(log.contains("authenticator failed"), log);
        assertFalse(log.contains(SECRET), log);
        assertFalse(log.contains(plain), log);
        assertFalse(log.contains(b64(SECRET)), log);
    }

    @Test
    void actingAsAnotherUserIsRefused() throws Exception {
        // RFC 4616 §2: an authorization identity other than the authenticated one needs a proxy
        // right that an Authenticator (user, password) cannot grant, so it must fail.
        Authenticator authenticator = (user, password) -> user.equals("alice") && password.equals(SECRET);
        try (SmtpServer server = plainAuthServer(authenticator); TestClient c = TestClient.connect(server)) {
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
