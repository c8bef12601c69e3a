package io.smtpkit.protocol.transcript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.BareLineEndings;
import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The transcript format itself: escapes, lines, settings, scripts, and loading from a jar. */
class TranscriptFormatTest {

    @Test
    void escapesRoundTrip() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertArrayEquals(all, Transcript.unescape(Transcript.escape(all)));
        assertEquals("a\\r\\n\\0\\t\\\\\\x7F\\xC3\\xA9", Transcript.escape("a\r\n\0\t\\\u007fé".getBytes(StandardCharsets.UTF_8)));
        assertArrayEquals("x  yé\r\n".getBytes(StandardCharsets.UTF_8), Transcript.unescape("x\\s yé\\r\\n"));
        assertArrayEquals("NOOP aaa\r\n\r\n".getBytes(StandardCharsets.US_ASCII), Transcript.unescape("NOOP \\{3*a}\\{2*\\r\\n}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\\", "\\q", "\\x4", "\\xZZ", "\\{3a}", "\\{x*a}"})
    void badEscapes(String text) {
        assertThrows(IllegalArgumentException.class, () -> Transcript.unescape(text));
    }

    @Test
    void linesBecomeStepsPhasesAndEvents() {
        Transcript t = Transcript.parse("t", String.join("\n",
                "# config: maxMessageSize=100 smtputf8=true bareLineEndings=reject",
                "# config: hostname=h.example",
                "# a comment",
                "S: 220 h.example ESMTP smtpkit",
                "C: EHLO x",
                "B: partial\\n",
                "D: RCPT 550 5.1.1 No such user",
                "D: rcpt default",
                "D: EHLO 250 hi there",
                "M: one\\r\\n",
                "M: two",
                "S: 250 OK",
                "T: tls",
                "C: QUIT",
                "S: <close>",
                ""));
        SessionConfig config = t.sessionConfig();
        assertEquals(100, config.maxMessageSize());
        assertTrue(config.smtpUtf8());
        assertEquals(BareLineEndings.REJECT, config.bareLineEndings());
        assertEquals("h.example", config.hostname());
        assertEquals(List.of("S: 220 h.example ESMTP smtpkit", "M: one\\r\\ntwo", "S: 250 OK", Transcript.STARTTLS_EVENT,
                Transcript.CLOSE_EVENT), t.expectedEvents());
        List<Transcript.Phase> phases = t.phases();
        assertEquals(2, phases.size());
        assertArrayEquals("EHLO x\r\npartial\n".getBytes(StandardCharsets.US_ASCII), phases.get(0).input());
        assertEquals(new Transcript.Tls(true), phases.get(0).action());
        assertArrayEquals("QUIT\r\n".getBytes(StandardCharsets.US_ASCII), phases.get(1).input());
        assertNull(phases.get(1).action());

        Transcript.Script script = t.script();
        Decision.Rcpt rcpt = new Decision.Rcpt(new MailPath("a", "b"), Map.of());
        assertEquals(Reply.of(550, "5.1.1", "No such user"), script.answer(rcpt));
        assertNull(script.answer(rcpt), "an explicit default");
        assertNull(script.answer(rcpt), "nothing left: default");
        assertEquals(Reply.of(250, null, "hi there"), script.answer(new Decision.Hello("x", true)));
        assertNull(script.answer(new Decision.Connect()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"X: what", "C:no space", "S", "T: dance", "D: LUNCH 250 ok", "D: MAIL 25 short",
        "D: MAIL 250 5.1.0 wrong class", "# config: nonsense=1", "# config: smtputf8=yes", "# config: novalue"})
    void badLines(String line) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Transcript.parse("bad", line));
        assertTrue(e.getMessage().startsWith("bad.txt"), e.getMessage());
    }

    @Test
    void loadsFromAJarAsFromADirectory(@TempDir java.nio.file.Path dir) throws Exception {
        List<Transcript> fromDirectory = Transcript.loadAll();
        java.nio.file.Path jar = dir.resolve("transcripts.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("transcripts/"));
            for (Transcript t : fromDirectory) {
                out.putNextEntry(new JarEntry("transcripts/" + t.name() + ".txt"));
                try (var in = TranscriptFormatTest.class.getClassLoader().getResourceAsStream("transcripts/" + t.name() + ".txt")) {
                    in.transferTo(nonClosing(out));
                }
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            List<Transcript> fromJar = Transcript.loadAll(loader);
            assertEquals(fromDirectory.stream().map(Transcript::name).toList(), fromJar.stream().map(Transcript::name).toList());
            for (int i = 0; i < fromJar.size(); i++) {
                assertEquals(fromDirectory.get(i).expectedEvents(), fromJar.get(i).expectedEvents());
            }
        }
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override public void close() {}
        };
    }
}
