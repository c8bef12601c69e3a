package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tables for {@link Reply}: wire encoding (RFC 5321 §4.2.1, RFC 2034 §4) and validation. */
class ReplyTest {

    @ParameterizedTest(name = "{0} {1} {2} enhanced={3}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            250 | 2.0.0 | OK               | true  | '250 2.0.0 OK\\r\\n'
            250 | 2.0.0 | OK               | false | '250 OK\\r\\n'
            250 | -     | mx.example       | true  | '250 mx.example\\r\\n'
            354 | -     | Go ahead         | true  | '354 Go ahead\\r\\n'
            334 | -     | ''               | true  | '334 \\r\\n'
            421 | 4.7.0 | Bye now          | true  | '421 4.7.0 Bye now\\r\\n'
            552 | 5.3.4 | Too big          | false | '552 Too big\\r\\n'
            599 | 5.999.999 | Edge         | true  | '599 5.999.999 Edge\\r\\n'
            200 | 2.0.0 | ünïcödé          | true  | '200 2.0.0 ünïcödé\\r\\n'
            """)
    void oneLine(int code, String enhanced, String text, boolean withEnhanced, String wire) {
        Reply reply = Reply.of(code, enhanced, text);
        assertEquals(wire.replace("\\r\\n", "\r\n"), new String(reply.encode(withEnhanced), StandardCharsets.UTF_8));
    }

    @Test
    void multiLineHasHyphensOnAllButTheLastLine() {
        Reply reply = new Reply(250, "2.0.0", List.of("mx.example", "SIZE 10", "HELP"));
        assertEquals("250-2.0.0 mx.example\r\n250-2.0.0 SIZE 10\r\n250 2.0.0 HELP\r\n",
                new String(reply.encode(true), StandardCharsets.UTF_8));
        assertEquals("250-mx.example\r\n250-SIZE 10\r\n250 HELP\r\n",
                new String(reply.encode(false), StandardCharsets.UTF_8));
        assertEquals("250-2.0.0 mx.example\r\n250-2.0.0 SIZE 10\r\n250 2.0.0 HELP", reply.toString());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(nullValues = "-", textBlock = """
            199, -
            600, -
            0, -
            250, 5.0.0
            550, 2.0.0
            450, 5.0.0
            250, 2.0
            250, 2.0.0.0
            250, 3.0.0
            250, 2.1000.0
            250, 2.0.1000
            250, x.0.0
            250, ''
            250, '2.0.0 '
            """)
    void invalidCodes(int code, String enhanced) {
        assertThrows(IllegalArgumentException.class, () -> Reply.of(code, enhanced, "text"));
    }

    @Test
    void textMustNotForgeLines() {
        assertThrows(IllegalArgumentException.class, () -> Reply.of(250, "OK\r\n250 forged"));
        assertThrows(IllegalArgumentException.class, () -> Reply.of(250, "OK\nforged"));
        assertThrows(IllegalArgumentException.class, () -> Reply.of(250, "OK\rforged"));
        assertThrows(IllegalArgumentException.class, () -> new Reply(250, null, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new Reply(250, null, List.of("a", "b\n")));
    }

    @Test
    void classification() {
        assertTrue(Reply.of(250, "x").isPositive());
        assertTrue(Reply.of(354, "x").isPositive());
        assertTrue(Reply.of(451, "x").isTransient());
        assertFalse(Reply.of(451, "x").isPositive());
        assertTrue(Reply.of(550, "x").isPermanent());
        assertFalse(Reply.of(550, "x").isTransient());
    }

    @Test
    void valuesAndCopies() {
        assertEquals(Reply.of(250, "2.0.0", "OK"), Reply.OK);
        assertEquals(Reply.of(250, "2.1.0", "OK"), Reply.OK.withEnhancedStatus("2.1.0"));
        assertEquals(Reply.of(250, "OK"), Reply.OK.withEnhancedStatus(null));
        assertEquals("OK", Reply.OK.text());
        List<String> lines = new java.util.ArrayList<>(List.of("a"));
        Reply reply = new Reply(250, null, lines);
        lines.add("b");
        assertEquals(List.of("a"), reply.lines());
    }

    @Test
    void namedConstantsEncodeAsDocumented() {
        assertEquals("452 4.5.3 Error: too many recipients", Reply.TOO_MANY_RECIPIENTS.toString());
        assertEquals("552 5.3.4 Message size exceeds fixed maximum message size", Reply.MESSAGE_TOO_BIG.toString());
        assertEquals("535 5.7.8 Authentication credentials invalid", Reply.AUTHENTICATION_FAILED.toString());
        assertEquals("421 4.4.2 Error: timeout exceeded", Reply.TIMEOUT.toString());
    }
}
