package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> registry.create("maildir", Map.of()));
        assertEquals("handler 'maildir' needs option dir (-o dir=...)", e.getMessage());
    }

    @Test
    void anUnknownOptionIsRefusedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registry.create("maildir", Map.of("dir", "x", "mode", "0600")));
        assertEquals("handler 'maildir' has no option mode; it takes dir", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> registry.create("sink", Map.of("x", "1")));
        assertEquals("handler 'sink' has no option x; it takes no options", e.getMessage());
    }

    @Test
    void twoProvidersWithOneNameAreRefused() {
        HandlerProvider a = new SinkHandler.Provider();
        HandlerProvider b = new SinkHandler.Provider();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HandlerRegistry.of(List.of(a, b)));
        assertTrue(e.getMessage().contains("two handlers answer to 'sink'"), e.getMessage());
    }
}
