package io.smtpkit.protocol.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Reply;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The reply parser as tables: what is a reply (and what it parses to), and what is garbage. */
class ReplyReaderTest {

    /** Input (escapes \r \n), then code, enhanced code ("-" for none) and the lines joined by "|". */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "250 OK\\r\\n;                       250; -;     OK",
        "250\\r\\n;                          250; -;     ''",
        "250 \\r\\n;                         250; -;     ''",
        "250 2.1.0 Sender OK\\r\\n;          250; 2.1.0; Sender OK",
        "250 2.1.0\\r\\n;                    250; 2.1.0; ''",
        "550 5.1.1 No such user\\r\\n;       550; 5.1.1; No such user",
        "451 4.3.0 Try later\\r\\n;          451; 4.3.0; Try later",
        // The enhanced code's class must match the reply's: otherwise it is text.
        "250 5.1.1 odd\\r\\n;                250; -;     5.1.1 odd",
        "250 2.1.0x text\\r\\n;              250; -;     2.1.0x text",
        "250 2.1000.0 text\\r\\n;            250; -;     2.1000.0 text",
        "250 2..0 text\\r\\n;                250; -;     2..0 text",
        // RFC 3463 has no class 3: a 354's text is text.
        "354 3.0.0 go\\r\\n;                 354; -;     3.0.0 go",
        "250-one\\r\\n250-two\\r\\n250 three\\r\\n; 250; -; one|two|three",
        "250-2.0.0 one\\r\\n250 2.0.0 two\\r\\n;    250; 2.0.0; one|two",
        // Only the first line's code is taken out of later lines.
        "250-2.0.0 one\\r\\n250 2.1.0 two\\r\\n;    250; 2.0.0; one|2.1.0 two",
        "250-mx\\r\\n250 2.0.0 two\\r\\n;           250; -; mx|2.0.0 two",
        "220 bare LF accepted\\n;            220; -;     bare LF accepted",
        "221 tab\\there\\r\\n;               221; -;     tab\\there",
        "559 highest\\r\\n;                  559; -;     highest",
        "200 lowest\\r\\n;                   200; -;     lowest",
    })
    void replies(String input, int code, String enhanced, String lines) {
        ReplyReader reader = new ReplyReader(100);
        ByteBuffer in = bytes(input);
        Reply reply = reader.read(in);
        assertNotNull(reply, () -> "no reply from " + input + ": " + reader.problem());
        assertEquals(code, reply.code());
        assertEquals(enhanced.equals("-") ? null : enhanced, reply.enhancedStatus());
        assertEquals(List.of(lines.replace("\\t", "\t").split("\\|", -1)), reply.lines());
        assertNull(reader.problem());
        assertEquals(0, in.remaining());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 400 Bad Request\\r\\n",
        "25\\r\\n",
        "\\r\\n",
        "2500 OK\\r\\n",
        "250xOK\\r\\n",
        "199 too low\\r\\n",
        "600 too high\\r\\n",
        "260 second digit\\r\\n",
        "599 second digit\\r\\n",
        "25a letter\\r\\n",
        "250-one\\r\\n251 two\\r\\n",
        "250-one\\r\\n250x two\\r\\n",
        "250 bare\\rCR\\r\\n",
        " 250 leading space\\r\\n",
    })
    void garbage(String input) {
        ReplyReader reader = new ReplyReader(100);
        ByteBuffer in = bytes(input);
        assertNull(reader.read(in));
        assertNotNull(reader.problem(), input);
        assertEquals(0, in.remaining(), "the rest is skipped");
        assertNull(reader.read(bytes("250 OK\\r\\n")), "no reply after a problem");
    }

    /** RFC 5321 §4.5.3.1.5: 512 octets with the CRLF is the longest reply line. */
    @ParameterizedTest
    @CsvSource({"506, true", "507, false", "2000, false"})
    void lineLimit(int textLength, boolean fits) {
        ReplyReader reader = new ReplyReader(100);
        Reply reply = reader.read(bytes("250 " + "x".repeat(textLength) + "\\r\\n"));
        assertEquals(fits, reply != null, () -> String.valueOf(reader.problem()));
        if (!fits) {
            assertTrue(reader.problem().contains("512"));
        }
    }

    @ParameterizedTest
    @CsvSource({"3, true", "4, false"})
    void lineCountLimit(int lines, boolean fits) {
        ReplyReader reader = new ReplyReader(3);
        String input = "250-x\\r\\n".repeat(lines - 1) + "250 x\\r\\n";
        assertEquals(fits, reader.read(bytes(input)) != null);
    }

    @org.junit.jupiter.api.Test
    void oneReplyPerCallTheRestStays() {
        ReplyReader reader = new ReplyReader(100);
        ByteBuffer in = bytes("250 a\\r\\n251 b\\r\\n25");
        assertEquals(250, reader.read(in).code());
        assertEquals(251, reader.read(in).code());
        assertNull(reader.read(in));
        assertTrue(reader.inReply() || in.remaining() == 0);
        assertEquals(252, reader.read(bytes("2 c\\r\\n")).code());
    }

    @org.junit.jupiter.api.Test
    void resetForgetsAPartialLine() {
        ReplyReader reader = new ReplyReader(100);
        assertNull(reader.read(bytes("250 injec")));
        reader.reset();
        Reply r = reader.read(bytes("220 clean\\r\\n"));
        assertEquals(List.of("clean"), r.lines());
    }

    private static ByteBuffer bytes(String escaped) {
        String s = escaped.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t");
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }
}
