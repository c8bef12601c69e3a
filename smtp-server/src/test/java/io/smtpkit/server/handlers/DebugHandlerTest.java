package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
}
