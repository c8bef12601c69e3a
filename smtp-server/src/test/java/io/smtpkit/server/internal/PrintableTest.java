package io.smtpkit.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PrintableTest {

    static Stream<Arguments> controls() {
        return Stream.of(
                Arguments.of("host\r\nforged line", "host\\x0d\\x0aforged line"),
                Arguments.of("\u001b[2Jcleared", "\\x1b[2Jcleared"),
                Arguments.of("nul\u0000", "nul\\x00"),
                Arguments.of("del\u007f", "del\\x7f"),
                Arguments.of("csi\u009bJ", "csi\\x9bJ"),
                Arguments.of("nel\u0085", "nel\\x85"),
                Arguments.of("line\u2028sep", "line\\u2028sep"),
                Arguments.of("para\u2029sep", "para\\u2029sep"),
                Arguments.of("rtl\u202eoverride", "rtl\\u202eoverride"),
                Arguments.of("isolate\u2066x", "isolate\\u2066x"));
    }

    @ParameterizedTest
    @MethodSource("controls")
    void controlsBecomeVisibleEscapes(String raw, String escaped) {
        assertEquals(escaped, Printable.of(raw));
    }

    @Test
    void ordinaryTextIsKeptAsItIs() {
        String text = "用户@例子.广告 <bob@example.org> tab-free, emoji \uD83D\uDCE7 é";
        assertSame(text, Printable.of(text));
        assertEquals("null", Printable.of(null));
    }

    @Test
    void loneSurrogatesAreEscaped() {
        assertEquals("a\\ud83db", Printable.of("a\uD83Db"));
        assertEquals("a\\udce7", Printable.of("a\uDCE7"));
    }

    @Test
    void anExceptionKeepsItsClassAndStackButNotTheClientsControls() {
        IllegalStateException cause = new IllegalStateException("inner\r\nforged");
        RuntimeException e = new RuntimeException("outer\u001b[31m", cause);
        Throwable safe = Printable.exception(e);
        StringWriter printed = new StringWriter();
        safe.printStackTrace(new PrintWriter(printed));
        String text = printed.toString();
        assertTrue(text.startsWith("java.lang.RuntimeException: outer\\x1b[31m"), text);
        assertTrue(text.contains("Caused by: java.lang.IllegalStateException: inner\\x0d\\x0aforged"), text);
        assertTrue(text.contains(PrintableTest.class.getName()), text);
        assertTrue(text.chars().noneMatch(c -> c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x1b), text);
        assertEquals(-1, text.indexOf("\r\nforged"));
    }
}
