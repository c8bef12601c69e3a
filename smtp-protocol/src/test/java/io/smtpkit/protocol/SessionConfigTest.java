package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SessionConfig defaults, validation, and toBuilder() giving back what was asked for. */
class SessionConfigTest {

    @Test
    void defaults() {
        SessionConfig c = SessionConfig.builder().build();
        assertEquals("localhost", c.hostname());
        assertEquals("localhost ESMTP smtpkit", c.greeting());
        assertEquals(33_554_432L, c.maxMessageSize());
        assertEquals(1000, c.maxRecipients());
        assertEquals(1000, c.maxRecipientOvershoot(), "Postfix's smtpd_recipient_overshoot_limit");
        assertEquals(10, c.maxErrors());
        assertEquals(512, c.maxCommandLine());
        assertFalse(c.smtpUtf8());
        assertTrue(c.chunking() && c.binaryMime() && c.eightBitMime() && c.pipelining() && c.enhancedStatusCodes());
        assertFalse(c.startTls() || c.authentication() || c.allowInsecureAuth() || c.dsn());
        assertEquals(BareLineEndings.NORMALIZE, c.bareLineEndings());
    }

    @Test
    void toBuilderKeepsWhatWasAskedForNotWhatWasDerived() {
        SessionConfig a = SessionConfig.builder().hostname("a.example").build();
        assertEquals("b.example ESMTP smtpkit", a.toBuilder().hostname("b.example").build().greeting(),
                "a default greeting follows the hostname");
        SessionConfig greeted = SessionConfig.builder().hostname("a.example").greeting("Hello").build();
        assertEquals("Hello", greeted.toBuilder().hostname("b.example").build().greeting());

        SessionConfig noChunking = SessionConfig.builder().chunking(false).binaryMime(true).build();
        assertFalse(noChunking.binaryMime(), "BINARYMIME needs CHUNKING");
        assertTrue(noChunking.toBuilder().chunking(true).build().binaryMime(), "the request for BINARYMIME is kept");

        SessionConfig utf8 = SessionConfig.builder().eightBitMime(false).smtpUtf8(true).build();
        assertTrue(utf8.eightBitMime(), "SMTPUTF8 needs 8BITMIME (RFC 6531 §3.1)");
        assertFalse(utf8.toBuilder().smtpUtf8(false).build().eightBitMime(), "the request for no 8BITMIME is kept");
    }

    @Test
    void toBuilderCopiesEverything() {
        CommandExtension x = new CommandExtension() {
            @Override public String verb() { return "XA"; }
            @Override public Reply handle(String argument, SessionInfo session) { return Reply.OK; }
        };
        SessionConfig c = SessionConfig.builder().hostname("h").greeting("g").maxMessageSize(1).maxRecipients(2)
                .maxRecipientOvershoot(4).maxErrors(3).maxCommandLine(100).smtpUtf8(true).eightBitMime(false).pipelining(false).chunking(false)
                .binaryMime(false).enhancedStatusCodes(false).dsn(true).startTls(true).authentication(true)
                .allowInsecureAuth(true).requireTls(true).requireAuth(true).bareLineEndings(BareLineEndings.REJECT)
                .extension(x).build();
        SessionConfig d = c.toBuilder().build();
        assertEquals(c.toString(), d.toString());
        assertEquals(c.greeting(), d.greeting());
        assertEquals(c.maxErrors(), d.maxErrors());
        assertEquals(4, d.maxRecipientOvershoot());
        assertEquals(c.maxCommandLine(), d.maxCommandLine());
        assertEquals(c.maxMailLine(), d.maxMailLine());
        assertEquals(c.extensions(), d.extensions());
        assertEquals(c.requireTls(), d.requireTls());
        assertEquals(c.requireAuth(), d.requireAuth());
        assertEquals(c.pipelining(), d.pipelining());
        assertEquals(c.enhancedStatusCodes(), d.enhancedStatusCodes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "two words", "tab\there", "nul\0", "é.example"})
    void badHostnames(String name) {
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().hostname(name));
    }

    @Test
    void badSettings() {
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().greeting("a\r\nb"));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().maxMessageSize(-1));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().maxRecipients(-1));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().maxRecipientOvershoot(-1));
        assertEquals(0, SessionConfig.builder().maxRecipientOvershoot(0).build().maxRecipientOvershoot(), "0: no limit");
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().maxErrors(-1));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().maxCommandLine(63));
        assertThrows(NullPointerException.class, () -> SessionConfig.builder().bareLineEndings(null));
    }

    @Test
    void extensionsReplaceBySameVerb() {
        CommandExtension first = ext("XONE");
        CommandExtension second = ext("xone");
        SessionConfig c = SessionConfig.builder().extension(first).extension(ext("XTWO")).extension(second).build();
        assertEquals(2, c.extensions().size());
        assertEquals(second, c.extensions().get(1));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().extension(ext("1BAD")));
        assertThrows(IllegalArgumentException.class, () -> SessionConfig.builder().extension(ext("X Y")));
    }

    private static CommandExtension ext(String verb) {
        return new CommandExtension() {
            @Override public String verb() { return verb; }
            @Override public Reply handle(String argument, SessionInfo session) { return Reply.OK; }
        };
    }
}
