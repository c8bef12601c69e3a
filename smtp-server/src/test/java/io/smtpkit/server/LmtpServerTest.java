package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.handlers.DebugHandler;
import io.smtpkit.server.handlers.MaildirHandler;
import io.smtpkit.server.handlers.SinkHandler;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server in LMTP mode (RFC 2033) over real sockets: one reply per accepted recipient after the
 * data (§4.2), from handlers that answer each recipient and from those that answer once, from
 * memory and from the spool file; failures; the trace header (RFC 3848); the built-in handlers.
 */
class LmtpServerTest {

    private static final SessionConfig LMTP = SessionConfig.builder().hostname("lmtp.example").lmtp(true).build();
    private static final Reply FULL = Reply.of(452, "4.2.2", "Mailbox full");

    /** Refuses the mailbox "full", takes the others, and records what it was handed. */
    static final class PerRecipient implements SmtpHandler {
        final BlockingQueue<String> seen = new LinkedBlockingQueue<>();

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
            throw new AssertionError("a per-recipient handler is asked per recipient");
        }

        @Override
        public List<Reply> onMessagePerRecipient(SessionContext session, Envelope envelope, Message message)
                throws Exception {
            seen.add(new String(message.bytes(), StandardCharsets.US_ASCII));
            List<Reply> replies = new ArrayList<>();
            for (var r : envelope.recipients()) {
                replies.add(r.localPart().equals("full") ? FULL : Reply.of(250, "2.1.5", "Delivered to " + r.address()));
            }
            return replies;
        }
    }

    /** LHLO, MAIL, the RCPTs (each must get a 250) and DATA with {@code body}; returns what follows the final dot. */
    private static List<String> transaction(SmtpClient client, String body, String... recipients) throws Exception {
        String lhlo = client.command("LHLO client.example");
        assertTrue(lhlo.contains("PIPELINING") && lhlo.contains("ENHANCEDSTATUSCODES"), lhlo);
        assertEquals("250 2.1.0 OK", client.command("MAIL FROM:<alice@example.org>"));
        for (String r : recipients) {
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<" + r + ">"));
        }
        assertTrue(client.command("DATA").startsWith("354 "));
        client.send(body + ".\r\n");
        List<String> replies = new ArrayList<>();
        for (int i = 0; i < recipients.length; i++) {
            replies.add(client.reply());
        }
        return replies;
    }

    /** From memory and (threshold 0) from the spool file: each RCPT, duplicates too, gets its own reply in order. */
    @ParameterizedTest(name = "spool threshold {0}")
    @ValueSource(longs = {1 << 20, 0})
    void eachRecipientGetsItsOwnReplyInRcptOrder(long spoolThreshold) throws Exception {
        PerRecipient handler = new PerRecipient();
        try (SmtpServer server = TestSupport.server(handler).config(LMTP).receivedHeader(false)
                .spoolThreshold(spoolThreshold).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            assertEquals("220 lmtp.example LMTP smtpkit", client.reply());
            List<String> replies = transaction(client, "Subject: hi\r\n\r\nhello\r\n",
                    "bob@example.org", "full@example.org", "bob@example.org");
            assertEquals(List.of("250 2.1.5 Delivered to bob@example.org", "452 4.2.2 Mailbox full",
                    "250 2.1.5 Delivered to bob@example.org"), replies);
            assertEquals("Subject: hi\r\n\r\nhello\r\n", handler.seen.poll(20, TimeUnit.SECONDS));
            assertEquals("250 2.0.0 OK", client.command("NOOP"), "nothing more after the three replies");
        }
    }

    /** A handler that throws, or answers for the wrong number of recipients, leaves each with 451 4.3.0. */
    @Test
    void failuresAreAnsweredForEachRecipient() throws Exception {
        SmtpHandler throwsOnce = (session, envelope, message) -> {
            throw new java.io.IOException("disk on fire");
        };
        SmtpHandler wrongCount = new SmtpHandler() {
            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
                return null;
            }

            @Override
            public List<Reply> onMessagePerRecipient(SessionContext session, Envelope envelope, Message message) {
                return List.of(Reply.OK);
            }
        };
        for (SmtpHandler handler : List.of(throwsOnce, wrongCount)) {
            try (SmtpServer server = TestSupport.server(handler).config(LMTP).build().start();
                    SmtpClient client = SmtpClient.connect(server)) {
                client.reply();
                assertEquals(List.of("451 4.3.0 Error: local error in processing", "451 4.3.0 Error: local error in processing"),
                        transaction(client, "x\r\n", "a@example.org", "b@example.org"));
                assertEquals("250 2.0.0 OK", client.command("NOOP"));
            }
        }
    }

    /** SMTP hears one reply for a per-recipient answer: the refusal, so the client keeps the message. */
    @Test
    void smtpGetsOneReplyFromAPerRecipientHandler() throws Exception {
        try (SmtpServer server = TestSupport.server(new PerRecipient()).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.reply();
            client.command("EHLO client.example");
            List<String> replies = client.pipeline("MAIL FROM:<a@example.org>", "RCPT TO:<bob@example.org>",
                    "RCPT TO:<full@example.org>", "DATA");
            assertTrue(replies.get(3).startsWith("354 "), replies.toString());
            client.send("x\r\n.\r\n");
            assertEquals("452 4.2.2 Mailbox full", client.reply());
            assertEquals("250 2.0.0 OK", client.command("NOOP"));
        }
    }

    /** RFC 3848: the trace header's protocol is LMTP, LMTPS after STARTTLS. */
    @Test
    void receivedHeaderSaysLmtp() throws Exception {
        TestSupport.Capture capture = new TestSupport.Capture();
        try (SmtpServer server = TestSupport.server(capture).config(LMTP).tls(TestSupport.serverTls()).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.reply();
            transaction(client, "x\r\n", "a@example.org");
            String plain = capture.take().text();
            assertTrue(plain.startsWith("Received: from client.example ([127.0.0.1])\r\n\tby lmtp.example with LMTP id "), plain);
            assertTrue(client.command("STARTTLS").startsWith("220 "));
            client.startTls(TestSupport.trustAll());
            transaction(client, "x\r\n", "a@example.org");
            String secure = capture.take().text();
            assertTrue(secure.contains("\tby lmtp.example with LMTPS id "), secure);
        }
    }

    /** The built-in handlers answer once; under LMTP every recipient hears it. */
    @Test
    void debugHandlerUnderLmtp() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (SmtpServer server = TestSupport.server(new DebugHandler(new PrintStream(printed, true, StandardCharsets.UTF_8)))
                .config(LMTP).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.reply();
            assertEquals(List.of("250 2.0.0 OK", "250 2.0.0 OK"),
                    transaction(client, "Subject: debug\r\n\r\nbody\r\n", "a@example.org", "b@example.org"));
        }
        String out = printed.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Subject: debug") && out.contains("with LMTP"), out);
    }

    @Test
    void sinkHandlerUnderLmtp() throws Exception {
        try (SmtpServer server = TestSupport.server(new SinkHandler()).config(LMTP).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.reply();
            assertEquals(List.of("250 2.0.0 OK", "250 2.0.0 OK", "250 2.0.0 OK"),
                    transaction(client, "x\r\n", "a@example.org", "b@example.org", "a@example.org"));
        }
    }

    @Test
    void maildirHandlerUnderLmtp(@TempDir Path dir) throws Exception {
        MaildirHandler maildir = new MaildirHandler(dir);
        try (SmtpServer server = TestSupport.server(maildir).config(LMTP).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            client.reply();
            assertEquals(List.of("250 2.0.0 OK", "250 2.0.0 OK"),
                    transaction(client, "Subject: stored\r\n\r\nbody\r\n", "a@example.org", "b@example.org"));
        }
        List<Path> stored;
        try (Stream<Path> files = Files.list(maildir.newDirectory())) {
            stored = files.toList();
        }
        assertEquals(1, stored.size(), "one file for the message, whatever the recipients");
        String content = Files.readString(stored.get(0), StandardCharsets.UTF_8);
        assertTrue(content.contains("with LMTP") && content.endsWith("Subject: stored\r\n\r\nbody\r\n"), content);
    }
}
