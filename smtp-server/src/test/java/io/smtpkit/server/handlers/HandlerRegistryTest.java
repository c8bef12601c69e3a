package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.server.HandlerOptionException;
import io.smtpkit.server.HandlerOptions;
import io.smtpkit.server.HandlerProvider;
import io.smtpkit.server.HandlerRegistry;
import io.smtpkit.server.SmtpHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandlerRegistryTest {

    private final HandlerRegistry registry = HandlerRegistry.load();

    @Test
    void findsTheShippedHandlersThroughServiceLoader() {
        List<String> names = registry.providers().stream().map(HandlerProvider::name).toList();
        assertTrue(names.containsAll(List.of("debug", "maildir", "sink")), names.toString());
    }

    @Test
    void looksUpByAliasIgnoringCase() {
        assertEquals("debug", registry.find("DebuggingServer").orElseThrow().name());
        assertEquals("debug", registry.find("DEBUG").orElseThrow().name());
        assertTrue(registry.find("nope").isEmpty());
    }

    @Test
    void createsAMaildirHandlerFromOptions(@TempDir Path dir) {
        SmtpHandler handler = registry.create("maildir", Map.of("dir", dir.resolve("box").toString()));
        assertInstanceOf(MaildirHandler.class, handler);
        assertTrue(Files.isDirectory(dir.resolve("box/new")));
    }

    @Test
    void anUnknownHandlerListsTheAvailableOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.create("mbox", Map.of()));
        assertTrue(e.getMessage().startsWith("unknown handler 'mbox'; available: "), e.getMessage());
        assertTrue(e.getMessage().contains("debug") && e.getMessage().contains("maildir"), e.getMessage());
    }

    @Test
    void aMissingOptionIsNamed() {
        HandlerOptionException e = assertThrows(HandlerOptionException.class, () -> registry.create("maildir", Map.of()));
        assertEquals("handler 'maildir' needs option dir (-o dir=...)", e.getMessage());
        assertEquals(List.of("maildir", "dir", "needs option dir (-o dir=...)"), List.of(e.handler(), e.key(), e.problem()));
    }

    @Test
    void anUnknownOptionIsRefusedWithTheKnownOnes() {
        HandlerOptionException e = assertThrows(HandlerOptionException.class,
                () -> registry.create("maildir", Map.of("dir", "x", "mode", "0600")));
        assertEquals("handler 'maildir' has no option mode; it takes dir", e.getMessage());
        assertEquals("mode", e.key());
        e = assertThrows(HandlerOptionException.class, () -> registry.create("sink", Map.of("x", "1")));
        assertEquals("handler 'sink' has no option x; it takes no options", e.getMessage());
        assertEquals("x", e.key());
    }

    @Test
    void malformedValuesAreTypedWithTheirKey() {
        HandlerOptions options = HandlerOptions.of("h", Map.of("on", "maybe", "n", "ten"), List.of("on", "n"));
        HandlerOptionException flag = assertThrows(HandlerOptionException.class, () -> options.flag("on", false));
        assertEquals("handler 'h' option on must be true or false, not 'maybe'", flag.getMessage());
        assertEquals("on", flag.key());
        HandlerOptionException number = assertThrows(HandlerOptionException.class, () -> options.number("n", 1));
        assertEquals("handler 'h' option n must be a number, not 'ten'", number.getMessage());
        assertEquals("n", number.key());
        assertInstanceOf(NumberFormatException.class, number.getCause());
    }

    @Test
    void aMaildirThatCannotBeMadeIsAnOptionError(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        HandlerOptionException e = assertThrows(HandlerOptionException.class,
                () -> registry.create("maildir", Map.of("dir", file.toString())));
        assertEquals("dir", e.key());
        assertTrue(e.getMessage().startsWith("handler 'maildir' option dir: "), e.getMessage());
    }

    @Test
    void twoProvidersWithOneNameAreRefused() {
        HandlerProvider a = new SinkHandler.Provider();
        HandlerProvider b = new SinkHandler.Provider();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HandlerRegistry.of(List.of(a, b)));
        assertTrue(e.getMessage().contains("two handlers answer to 'sink'"), e.getMessage());
    }
}
