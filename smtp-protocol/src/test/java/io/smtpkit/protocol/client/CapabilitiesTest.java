package io.smtpkit.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** EHLO keyword parsing (RFC 5321 §4.1.1.1) as tables. */
class CapabilitiesTest {

    private static Capabilities ehlo(String... keywordLines) {
        List<String> lines = new ArrayList<>();
        lines.add("mx.example greets client.example");
        lines.addAll(List.of(keywordLines));
        return Capabilities.fromEhlo(new Reply(250, null, lines));
    }

    /** A SIZE line, and the limit it states (0: none). */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "SIZE 35882577; 35882577",
        "SIZE; 0",
        "SIZE 0; 0",
        "size 1000; 1000",
        "SIZE -5; 0",
        "SIZE 10x; 0",
        "SIZE 99999999999999999999; 0",
        "SIZE  77; 77",
    })
    void size(String line, long limit) {
        Capabilities c = ehlo(line);
        assertTrue(c.size());
        assertEquals(limit, c.maxMessageSize());
    }

    /** An AUTH line (or lines) and the mechanisms read from it. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "AUTH PLAIN LOGIN; PLAIN,LOGIN",
        "auth plain; PLAIN",
        "AUTH=LOGIN PLAIN; LOGIN,PLAIN",
        "AUTH; ''",
        "AUTH CRAM-MD5 SCRAM-SHA-256; CRAM-MD5,SCRAM-SHA-256",
    })
    void auth(String line, String mechanisms) {
        Set<String> expected = mechanisms.isEmpty() ? Set.of() : Set.of(mechanisms.split(","));
        assertEquals(expected, ehlo(line).authMechanisms());
        assertTrue(ehlo(line).has("AUTH"));
    }

    @Test
    void bothAuthFormsTogether() {
        assertEquals(Set.of("LOGIN", "PLAIN", "CRAM-MD5"), ehlo("AUTH LOGIN PLAIN", "AUTH=LOGIN CRAM-MD5").authMechanisms());
    }

    @Test
    void everyKnownKeyword() {
        Capabilities c = ehlo("PIPELINING", "8BITMIME", "SMTPUTF8", "CHUNKING", "BINARYMIME", "STARTTLS", "DSN",
                "ENHANCEDSTATUSCODES", "SIZE 10", "AUTH PLAIN");
        assertTrue(c.extended());
        assertTrue(c.pipelining() && c.eightBitMime() && c.smtpUtf8() && c.chunking() && c.binaryMime()
                && c.startTls() && c.dsn() && c.enhancedStatusCodes() && c.size());
        assertEquals("mx.example", c.serverName());
    }

    @Test
    void noneOffered() {
        Capabilities c = ehlo();
        assertTrue(c.extended());
        assertFalse(c.pipelining() || c.eightBitMime() || c.smtpUtf8() || c.chunking() || c.binaryMime()
                || c.startTls() || c.dsn() || c.enhancedStatusCodes() || c.size());
        assertEquals(0, c.maxMessageSize());
        assertFalse(Capabilities.NONE.extended());
    }

    @Test
    void unknownKeywordsKeptWithParametersBadLinesSkipped() {
        Capabilities c = ehlo("X-EXPS GSSAPI NTLM", "XCLIENT NAME ADDR", "!bad", "", "-dash", "VRFY", "HELP");
        assertEquals(Map.of("X-EXPS", List.of("GSSAPI", "NTLM"), "XCLIENT", List.of("NAME", "ADDR"), "VRFY", List.of(),
                "HELP", List.of()), c.keywords());
        assertEquals(List.of("GSSAPI", "NTLM"), c.parameters("x-exps"));
        assertEquals(List.of(), c.parameters("NOPE"));
    }

    @Test
    void keywordsAreCaseInsensitive() {
        Capabilities c = ehlo("pipelining", "StartTLS", "8bitmime");
        assertTrue(c.pipelining() && c.startTls() && c.eightBitMime() && c.has("PiPeLiNiNg"));
        assertEquals("[PIPELINING, STARTTLS, 8BITMIME]", c.toString());
    }
}
