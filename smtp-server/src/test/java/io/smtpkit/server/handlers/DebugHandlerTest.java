package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

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
        byte[] content = "Subject: x\r\n\r\nfirst line\r\nsecond line".getBytes(StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> handler.onMessage(Fixtures.session("192.0.2.7"),
                Fixtures.envelope("a@example.org", "b@example.net"), Fixtures.failingMessage(content, content.length - 1)));
        assertEquals("spool read failed", e.getMessage());
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.endsWith("""

                first line
                second lin
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
