package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.testsupport.SmtpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Messages up to the threshold stay in memory; larger ones go to a spool file deleted after the hook. */
class SpoolTest {

    private static final int THRESHOLD = 10_000;

    @TempDir
    Path spool;

    private record Seen(long size, long filesDuringHook, byte[] content) {}

    @Test
    void thresholdOnBothSides() throws Exception {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> {
            long files;
            try (Stream<Path> list = Files.list(spool)) {
                files = list.count();
            }
            seen.add(new Seen(message.size(), files, message.bytes()));
            return null;
        };
        try (SmtpServer server = server(handler).receivedHeader(false).spoolThreshold(THRESHOLD).spoolDirectory(spool)
                .build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            byte[] atThreshold = body(THRESHOLD);
            byte[] overThreshold = body(THRESHOLD + 1);
            byte[] large = body(3 * 1024 * 1024 + 7);
            assertEquals("250 2.0.0 OK", send(c, atThreshold));
            assertEquals("250 2.0.0 OK", send(c, overThreshold));
            assertEquals("250 2.0.0 OK", send(c, large));
            assertEquals(3, seen.size());
            assertEquals(THRESHOLD, seen.get(0).size());
            assertEquals(0, seen.get(0).filesDuringHook(), "a message at the threshold stays in memory");
            assertEquals(THRESHOLD + 1, seen.get(1).size());
            assertEquals(1, seen.get(1).filesDuringHook(), "one octet more goes to a file");
            assertEquals(1, seen.get(2).filesDuringHook());
            assertArrayEquals(atThreshold, seen.get(0).content());
            assertArrayEquals(overThreshold, seen.get(1).content());
            assertArrayEquals(large, seen.get(2).content());
            try (Stream<Path> list = Files.list(spool)) {
                assertEquals(0, list.count(), "spool files are deleted after the hook");
            }
        }
    }

    @Test
    void aSlowSpoolIsNotTheClientsIdleTime() throws Exception {
        // The spool writes stall (a slow disk, a busy executor): the server stops reading, and
        // that wait must not count against the client's idle timeout. The stall is measured from
        // the moment a spool write is seen held, and lasts three idle timeouts; the timeout is a
        // second, so a loaded machine's own pauses between the client's commands stay well inside it.
        java.time.Duration idle = java.time.Duration.ofSeconds(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
        java.util.concurrent.CountDownLatch disk = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService slowDisk = TestSupport.executorService(pool, task -> pool.execute(() -> {
            held.incrementAndGet();
            try {
                disk.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.run();
        }));
        SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> null;
        try (SmtpServer server = server(handler).executor(slowDisk).spoolThreshold(0).spoolDirectory(spool)
                .idleTimeout(idle).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<b@example.org>");
            c.command("DATA");
            Thread writer = new Thread(() -> {
                try {
                    c.send(body(2_000_000)); // more than the spool lets into flight, and the socket buffers
                    c.send(".\r\n");
                } catch (java.io.IOException e) {
                    // the server cut us off: the assertion below says so
                }
            });
            writer.start();
            io.smtpkit.server.testsupport.Eventually.await(() -> held.get() > 0, java.time.Duration.ofSeconds(20),
                    "a spool write is held by the stuck disk");
            long stalledSince = System.nanoTime();
            // The stall itself is what is tested: it must outlast the idle timeout several times.
            long stall = idle.multipliedBy(3).toNanos();
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(stall - (System.nanoTime() - stalledSince));
            assertEquals(0, c.socket().getInputStream().available(), "nothing, not even a 421, while the disk is stuck");
            disk.countDown();
            assertEquals("250 2.0.0 OK", c.reply());
            writer.join(10_000);
        } finally {
            disk.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void abandonedAndRefusedMessagesLeaveNoFile() throws Exception {
        SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> Reply.MAILBOX_UNAVAILABLE;
        try (SmtpServer server = server(handler).spoolThreshold(100).spoolDirectory(spool).build().start()) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO x.example");
                assertTrue(send(c, body(5000)).startsWith("550"));
                c.command("MAIL FROM:<a@example.org>");
                c.command("RCPT TO:<b@example.org>");
                c.command("DATA");
                c.send(body(200_000));
                // The client leaves in the middle of the message, once its content is spooled
                // (past the first 64 KiB write buffer, so the file exists).
                assertEquals(1, awaitFiles(1));
            }
            assertEquals(0, awaitFiles(0));
        }
    }

    private long awaitFiles(long expected) throws Exception {
        return io.smtpkit.server.testsupport.Eventually.poll(() -> {
            try (Stream<Path> list = Files.list(spool)) {
                return list.count();
            }
        }, files -> files == expected, java.time.Duration.ofSeconds(20));
    }

    private static String send(SmtpClient c, byte[] body) throws Exception {
        c.command("MAIL FROM:<a@example.org>");
        c.command("RCPT TO:<b@example.org>");
        c.command("DATA");
        c.send(body);
        c.send(".\r\n");
        return c.reply();
    }

    /** Lines of 'x' ending in CRLF, exactly {@code size} octets (no leading dots, nothing to unstuff). */
    private static byte[] body(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) ('a' + i % 26);
        }
        for (int i = 78; i < size - 2; i += 80) {
            b[i] = '\r';
            b[i + 1] = '\n';
        }
        b[size - 2] = '\r';
        b[size - 1] = '\n';
        return b;
    }
}
