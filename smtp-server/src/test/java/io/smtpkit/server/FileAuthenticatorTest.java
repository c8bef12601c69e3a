package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.testsupport.SmtpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAuthenticatorTest {

    @TempDir
    Path dir;

    @Test
    void plainAndHashedEntries() throws Exception {
        assertTrue(FileAuthenticator.hash("x".toCharArray()).startsWith("{PBKDF2}210000:"));
        String hashed = FileAuthenticator.hash("hunter2".toCharArray(), 1000);
        assertTrue(hashed.startsWith("{PBKDF2}1000:"), hashed);
        Path file = Files.writeString(dir.resolve("users"), String.join("\n",
                "# users",
                "",
                "alice:pass:with:colons",
                "bob:" + hashed,
                "  # indented comment"));
        FileAuthenticator auth = FileAuthenticator.load(file);
        assertEquals(2, auth.size());
        assertTrue(auth.authenticate("alice", "pass:with:colons"));
        assertFalse(auth.authenticate("alice", "pass"));
        assertTrue(auth.authenticate("bob", "hunter2"));
        assertFalse(auth.authenticate("bob", "hunter3"));
        assertFalse(auth.authenticate("carol", "hunter2"));
        assertFalse(auth.authenticate("Alice", "pass:with:colons"));
    }

    @Test
    void everyUserNameCostsTheSameWorkInAMixedFile() throws Exception {
        // RFC 4954 §9: no hint whether a user exists. A plain entry is a SHA-256, a hashed one
        // thousands of PBKDF2 rounds, an unknown name the dearest entry's rounds.
        Path file = Files.writeString(dir.resolve("users"), String.join("\n",
                "plain:secret",
                "cheap:" + FileAuthenticator.hash("a".toCharArray(), 1000),
                "dear:" + FileAuthenticator.hash("b".toCharArray(), 3000)));
        FileAuthenticator auth = FileAuthenticator.load(file);
        assertEquals(3000, auth.cost("nobody"));
        assertEquals(3000, auth.cost("dear"));
        assertEquals(3000, auth.cost("cheap"));
        assertEquals(3000, auth.cost("plain"));
        assertTrue(auth.authenticate("plain", "secret"));
        assertTrue(auth.authenticate("cheap", "a"));
        assertFalse(auth.authenticate("nobody", "a"));
        Path plainOnly = Files.writeString(dir.resolve("plain"), "plain:secret\n");
        assertEquals(0, FileAuthenticator.load(plainOnly).cost("nobody"), "plain files stay cheap");
    }

    @Test
    void badLinesNameTheFileAndLineButNotThePassword() throws Exception {
        assertError("ok:fine\nnocolon\n", "line 2");
        assertError(":secret-password\n", "line 1");
        assertError("bob:{PBKDF2}x:AAAA:AAAA\n", "iterations");
        assertError("bob:{PBKDF2}1000:!!!:AAAA\n", "base64");
        assertError("bob:{PBKDF2}1000:AAAA\n", "{PBKDF2}iterations");
        assertError("bob:one\nbob:two\n", "appears twice");
        assertError("bob:\n", "empty password");
    }

    private void assertError(String content, String expected) throws Exception {
        Path file = Files.writeString(dir.resolve("bad"), content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileAuthenticator.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("secret-password"), e.getMessage());
    }

    @Test
    void worksWithTheServer() throws Exception {
        Path file = Files.writeString(dir.resolve("users"), "alice:pw\n");
        TestSupport.Capture capture = new TestSupport.Capture();
        try (SmtpServer server = TestSupport.server(capture).tls(TestSupport.serverTls())
                .authenticator(FileAuthenticator.load(file)).authFailureDelay(java.time.Duration.ZERO).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("STARTTLS");
            c.startTls(TestSupport.trustAll());
            c.command("EHLO x.example");
            // "\0alice\0pw" and "\0alice\0nope"
            assertTrue(c.command("AUTH PLAIN AGFsaWNlAG5vcGU=").startsWith("535"));
            assertEquals("235 2.7.0 Authentication successful", c.command("AUTH PLAIN AGFsaWNlAHB3"));
        }
    }
}
