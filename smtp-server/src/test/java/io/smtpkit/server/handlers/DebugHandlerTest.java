package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.server.Message;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DebugHandlerTest {

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final DebugHandler handler = new DebugHandler(new PrintStream(printed, true, StandardCharsets.UTF_8));

    private String print(String content) throws Exception {
        assertNull(handler.onMessage(Fixtures.session("192.0.2.7"), Fixtures.envelope("a@example.org", "b@example.net"),
                Fixtures.message(content.getBytes(StandardCharsets.UTF_8))));
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsLikeSmtpdWithTheEnvelopeAndThePeerAfterTheHeaders() throws Exception {
        assertEquals("""
                ---------- MESSAGE FOLLOWS ----------
                mail from: <a@example.org>
                rcpt to: <b@example.net>
                mail options: SIZE=100
                Subject: hi
                From: a@example.org
                X-Peer: 192.0.2.7

                body line
                ------------ END MESSAGE ------------
                """, print("Subject: hi\r\nFrom: a@example.org\r\n\r\nbody line\r\n"));
    }

    @Test
    void addsThePeerAtTheEndWhenThereIsNoBody() throws Exception {
        String out = print("Subject: only headers\r\n");
        assertEquals("""
                Subject: only headers
                X-Peer: 192.0.2.7
                ------------ END MESSAGE ------------
                """, out.substring(out.indexOf("Subject")));
    }

    @Test
    void keepsEightBitTextAndEscapesTerminalControls() throws Exception {
        String out = print("Subject: caf\u00e9\r\n\r\nbell\u0007 esc\u001b[31m tab\there\r\n");
        assertEquals("""
                Subject: caf\u00e9
                X-Peer: 192.0.2.7

                bell\\x07 esc\\x1b[31m tab\there
                ------------ END MESSAGE ------------
                """, out.substring(out.indexOf("Subject")));
    }

    /** The body of a message whose content is the header line, an empty line and {@code body}. */
    private String printedBody(byte[] body, Message message) throws Exception {
        printed.reset();
        assertNull(handler.onMessage(Fixtures.session("192.0.2.7"), Fixtures.envelope("a@example.org", "b@example.net"), message));
        String out = printed.toString(StandardCharsets.UTF_8);
        String start = "X-Peer: 192.0.2.7\n\n";
        return out.substring(out.indexOf(start) + start.length(), out.lastIndexOf(DebugHandler.END));
    }

    private static byte[] withHeader(byte[] body) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes("Subject: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        content.writeBytes(body);
        return content.toByteArray();
    }

    private String printedBody(byte[] body) throws Exception {
        return printedBody(body, Fixtures.message(withHeader(body)));
    }

    /**
     * What reaches the terminal, byte by byte (hex, as sent) and as printed: C1 controls as UTF-8
     * and raw, U+2028/U+2029 and malformed UTF-8 (RFC 3629 §4) escaped; well-formed UTF-8 on either
     * side of them kept.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiterString = " | ", textBlock = """
            U+0080 first C1           | 61c28062         | a\\xc2\\x80b
            U+0085 NEL                | 61c28562         | a\\xc2\\x85b
            U+009B CSI                | c29b33316d       | \\xc2\\x9b31m
            U+009F last C1            | c29f             | \\xc2\\x9f
            U+00A0 after C1           | c2a0             | \u00a0
            U+007E before DEL         | 7e7f             | ~\\x7f
            U+2028 LINE SEPARATOR     | 61e280a862       | a\\xe2\\x80\\xa8b
            U+2029 PARAGRAPH SEP.     | e280a9           | \\xe2\\x80\\xa9
            U+2027 before U+2028      | e280a7           | \u2027
            U+202A after U+2029       | e280aa           | \u202a
            raw 0x9B CSI              | 9b33316d         | \\x9b31m
            raw 0x85                  | 6185             | a\\x85
            lone continuation         | 80bf             | \\x80\\xbf
            lead without its tail     | c361             | \\xc3a
            3-byte sequence cut       | e28078           | \\xe2\\x80x
            overlong C0               | c0af             | \\xc0\\xaf
            overlong E0               | e08080           | \\xe0\\x80\\x80
            surrogate ED A0           | eda080           | \\xed\\xa0\\x80
            past U+10FFFF             | f4908080         | \\xf4\\x90\\x80\\x80
            never a lead F5           | f5               | \\xf5
            never a lead FF           | ff               | \\xff
            4-byte emoji              | f09f9880         | \ud83d\ude00
            last code point           | f48fbfbf         | \udbff\udfff
            e acute                   | 636166c3a9       | caf\u00e9
            ESC in ASCII              | 1b5b33316d       | \\x1b[31m
            """)
    void escapesWhatCouldDriveTheTerminal(String what, String hex, String expected) throws Exception {
        assertEquals(expected + "\n", printedBody(HexFormat.of().parseHex(hex)), what);
    }

    @Test
    void aSequenceCutByTheEndOfALineOrOfTheMessageIsEscaped() throws Exception {
        assertEquals("\\xc3\nx\n", printedBody(new byte[] {(byte) 0xc3, '\r', '\n', 'x'}));
        assertEquals("ok\\xe2\\x80\n", printedBody(new byte[] {'o', 'k', (byte) 0xe2, (byte) 0x80}));
    }

    @Test
    void envelopeLinesAreEscapedToo() throws Exception {
        Envelope envelope = new Envelope(new MailPath("a\u009b", "example.org"), List.of(new MailPath("b\u2028", "example.net")),
                Map.of(), List.of(Map.of()), BodyType.SEVEN_BIT, true);
        handler.onMessage(Fixtures.session("192.0.2.7"), envelope, Fixtures.message("x\r\n".getBytes(StandardCharsets.US_ASCII)));
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("mail from: <a\\xc2\\x9b@example.org>\nrcpt to: <b\\xe2\\x80\\xa8@example.net>\n"), out);
    }

    /** Sequences that straddle the handler's read pieces, and streams that hand out a few bytes at a time. */
    @Test
    void sequencesAcrossReadPiecesArePrintedAsWhole() throws Exception {
        int piece = DebugHandler.CHUNK;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int header = withHeader(new byte[0]).length;
        pad(body, piece - header - 1);
        body.writeBytes("\u00e9".getBytes(StandardCharsets.UTF_8)); // C3 | A9
        pad(body, 2 * piece - header - body.size() - 1);
        body.writeBytes("\u009b".getBytes(StandardCharsets.UTF_8)); // C2 | 9B: escaped
        pad(body, 3 * piece - header - body.size() - 1);
        body.writeBytes("\ud83d\ude00".getBytes(StandardCharsets.UTF_8)); // F0 | 9F 98 80
        pad(body, 4 * piece - header - body.size() - 2);
        body.writeBytes("\u2028".getBytes(StandardCharsets.UTF_8)); // E2 80 | A8: escaped
        pad(body, 5 * piece - header - body.size() - 1);
        body.write(0xc3); // C3 | 0A: a lead byte cut by a newline that starts the next piece
        body.writeBytes("\ny".getBytes(StandardCharsets.US_ASCII));
        byte[] bytes = body.toByteArray();

        String expected = "x".repeat(piece - header - 1) + "\u00e9"
                + "x".repeat(piece - 2) + "\\xc2\\x9b"
                + "x".repeat(piece - 2) + "\ud83d\ude00"
                + "x".repeat(piece - 5) + "\\xe2\\x80\\xa8"
                + "x".repeat(piece - 2) + "\\xc3\ny\n";
        assertSameText(expected, printedBody(bytes), "read in pieces of " + piece);
        for (int most : new int[] {1, 2, 3, 7}) {
            assertSameText(expected, printedBody(bytes, trickling(withHeader(bytes), most)), "read " + most + " at a time");
        }
    }

    /** Like assertEquals, but a long text's mismatch is shown where it starts, not whole. */
    private static void assertSameText(String expected, String actual, String how) {
        int i = 0;
        while (i < expected.length() && i < actual.length() && expected.charAt(i) == actual.charAt(i)) {
            i++;
        }
        if (i < expected.length() || i < actual.length()) {
            int from = Math.max(0, i - 20);
            throw new AssertionError(how + ": differs at " + i + " of " + expected.length() + ": expected \""
                    + expected.substring(from, Math.min(expected.length(), i + 20)) + "\" but was \""
                    + actual.substring(from, Math.min(actual.length(), i + 20)) + "\"");
        }
    }

    private static void pad(ByteArrayOutputStream out, int n) {
        out.writeBytes("x".repeat(n).getBytes(StandardCharsets.US_ASCII));
    }

    /** A message whose stream hands out at most {@code most} bytes per read. */
    private static Message trickling(byte[] content, int most) {
        return new Message() {
            @Override
            public long size() {
                return content.length;
            }

            @Override
            public InputStream openStream() {
                return new ByteArrayInputStream(content) {
                    @Override
                    public synchronized int read(byte[] b, int off, int len) {
                        return super.read(b, off, Math.min(len, most));
                    }
                };
            }
        };
    }

    /** A printout longer than the handler's buffer, escapes straddling its end, comes out whole. */
    @Test
    void aLongMessageOfControlsIsPrintedWhole() throws Exception {
        byte[] body = new byte[3 * DebugHandler.CHUNK + 3];
        Arrays.fill(body, (byte) 0x01);
        assertEquals("\\x01".repeat(body.length) + "\n", printedBody(body));
    }

    @Test
    void aMessageThatCannotBeReadToItsEndSaysSoAndKeepsTheMarkersPaired() throws Exception {
        byte[] content = "Subject: x\r\n\r\nfirst line\r\nsecond \u00e9".getBytes(StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> handler.onMessage(Fixtures.session("192.0.2.7"),
                Fixtures.envelope("a@example.org", "b@example.net"), Fixtures.failingMessage(content, content.length - 1)));
        assertEquals("spool read failed", e.getMessage());
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.endsWith("""

                first line
                second \\xc3
                [the rest of the message could not be read]
                ------------ END MESSAGE ------------
                """), out);
        assertTrue(out.startsWith(DebugHandler.BEGIN + "\n"), out);
    }

    /** Each printout holds the stream for its whole length, however long, so messages never interleave. */
    @Test
    void concurrentMessagesDoNotInterleave() throws Exception {
        int messages = 8;
        ExecutorService pool = Executors.newFixedThreadPool(messages);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < messages; i++) {
                String letter = String.valueOf((char) ('a' + i));
                byte[] content = ("Subject: " + letter + "\r\n\r\n" + (letter.repeat(99) + "\r\n").repeat(2000))
                        .getBytes(StandardCharsets.US_ASCII);
                done.add(pool.submit(() -> handler.onMessage(Fixtures.session("192.0.2.7"),
                        Fixtures.envelope("a@example.org", "b@example.net"), trickling(content, 1000))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        String out = printed.toString(StandardCharsets.UTF_8);
        Matcher m = Pattern.compile(Pattern.quote(DebugHandler.BEGIN) + "\n(.*?)" + Pattern.quote(DebugHandler.END) + "\n",
                Pattern.DOTALL).matcher(out);
        Set<String> letters = new HashSet<>();
        int found = 0;
        int end = 0;
        while (m.find()) {
            assertEquals(end, m.start(), "nothing between printouts");
            end = m.end();
            String block = m.group(1);
            String letter = block.substring(block.indexOf("Subject: ") + 9, block.indexOf("Subject: ") + 10);
            String peer = "X-Peer: 192.0.2.7\n\n";
            assertEquals((letter.repeat(99) + "\n").repeat(2000), block.substring(block.indexOf(peer) + peer.length()),
                    "message " + letter + " alone in its printout");
            letters.add(letter);
            found++;
        }
        assertEquals(messages, found);
        assertEquals(messages, letters.size());
        assertEquals(out.length(), end);
    }
}
