package io.smtpkit.server.handlers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Reply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirHandlerTest {

    @TempDir
    Path dir;

    private static List<Path> files(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.toList();
        }
    }

    @Test
    void deliversIntoNewWithTheEnvelopeInFront() throws Exception {
        MaildirHandler handler = new MaildirHandler(dir.resolve("mail"));
        byte[] content = "Subject: x\r\n\r\n\u00fcber 8-bit\r\n".getBytes(StandardCharsets.UTF_8);

        Reply reply = handler.onMessage(Fixtures.session("127.0.0.1"),
                Fixtures.envelope("a@example.org", "b@example.net", "c@example.net"), Fixtures.message(content));

        assertNull(reply);
        List<Path> delivered = files(dir.resolve("mail/new"));
        assertEquals(1, delivered.size());
        assertEquals("Return-Path: <a@example.org>\r\nDelivered-To: b@example.net\r\nDelivered-To: c@example.net\r\n"
                + "Subject: x\r\n\r\n\u00fcber 8-bit\r\n", Files.readString(delivered.get(0), StandardCharsets.UTF_8));
        assertTrue(files(dir.resolve("mail/tmp")).isEmpty());
        assertTrue(Files.isDirectory(dir.resolve("mail/cur")));
    }

    @Test
    void recordsTheNullSenderOfABounce() throws Exception {
        MaildirHandler handler = new MaildirHandler(dir);
        handler.onMessage(Fixtures.session("127.0.0.1"), Fixtures.envelope("", "b@example.net"),
                Fixtures.message("\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(Files.readString(files(dir.resolve("new")).get(0)).startsWith("Return-Path: <>\r\n"));
    }

    @Test
    void aFailedWriteAnswers451AndLeavesNothingBehind() throws Exception {
        MaildirHandler handler = new MaildirHandler(dir);
        byte[] content = new byte[10_000];

        Reply reply = handler.onMessage(Fixtures.session("127.0.0.1"), Fixtures.envelope("a@example.org", "b@example.net"),
                Fixtures.failingMessage(content, 5_000));

        assertEquals(451, reply.code());
        assertEquals("4.3.0", reply.enhancedStatus());
        assertTrue(files(dir.resolve("new")).isEmpty(), "no partial message in new/");
        assertTrue(files(dir.resolve("tmp")).isEmpty(), "the partial file in tmp/ is removed");
    }

    @Test
    void concurrentDeliveriesNeverShareAName() throws Exception {
        MaildirHandler handler = new MaildirHandler(dir);
        int count = 400;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Set<Future<Reply>> results = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < count; i++) {
                byte[] content = ("Subject: " + i + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                results.add(pool.submit(() -> handler.onMessage(Fixtures.session("127.0.0.1"),
                        Fixtures.envelope("a@example.org", "b@example.net"), Fixtures.message(content))));
            }
            for (Future<Reply> result : results) {
                assertNull(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
        Set<String> subjects = ConcurrentHashMap.newKeySet();
        for (Path file : files(dir.resolve("new"))) {
            String text = Files.readString(file);
            subjects.add(text.substring(text.indexOf("Subject: "), text.indexOf("\r\n\r\n")));
        }
        assertEquals(count, subjects.size());
    }
}
