package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How AUTH is rationed: its own pool with a bounded queue, the failure delay, AUTH in progress
 * per client address, failed AUTH per client address per minute; and mail from a client that
 * never authenticates flowing through an AUTH flood.
 */
class AuthLimitsTest {

    private static final String BUSY = "454 4.7.0 Temporary authentication failure, try again later";
    private static final String TOO_MANY_AT_ONCE = "454 4.7.0 Too many authentications at once from your address, try again later";
    private static final String TOO_MANY_FAILURES = "421 4.7.0 Too many failed authentications from your address, try again later";
    private static final String RIGHT = plain("alice", "right");
    private static final String WRONG = plain("alice", "wrong");
    private static final InetSocketAddress OTHER_CLIENT = new InetSocketAddress("127.0.0.2", 0);

    @TempDir
    Path dir;

    @Test
    void aFullQueueIsAnswered454AndIsNoFailureOfTheClient() throws Exception {
        // One thread: one check runs, 8 wait (the documented queue per thread); the 10th is refused.
        Gate gate = new Gate();
        try (SmtpServer server = authServer(gate).authenticatorThreads(1).maxConcurrentAuthPerClient(0)
                .maxAuthFailuresPerClient(10).authFailureDelay(Duration.ZERO).build().start();
                Clients clients = new Clients()) {
            for (int i = 0; i < 10; i++) {
                clients.add(greeted(server, null)).send("AUTH PLAIN " + WRONG + "\r\n");
            }
            // Only the refused one can answer before the gate opens, whichever of the ten it is.
            ExecutorService readers = Executors.newFixedThreadPool(10);
            try {
                CompletionService<String> replies = new ExecutorCompletionService<>(readers);
                List<Future<String>> pending = new ArrayList<>();
                for (SmtpClient c : clients.list) {
                    pending.add(replies.submit(c::reply));
                }
                Future<String> first = replies.poll(20, TimeUnit.SECONDS);
                assertTrue(first != null, "no AUTH was refused: the queue is not bounded");
                assertEquals(BUSY, first.get());
                SmtpClient refused = clients.list.get(pending.indexOf(first));
                gate.open();
                for (int i = 0; i < 9; i++) {
                    assertEquals("535 5.7.8 Authentication credentials invalid", replies.take().get());
                }
                // Nine failures so far, not ten: the 454 did not count, so this is checked (the
                // tenth failure, still 535 at the limit) ...
                assertEquals("535 5.7.8 Authentication credentials invalid", refused.command("AUTH PLAIN " + WRONG));
                // ... and only the next is past the limit, right password or not.
                assertEquals(TOO_MANY_FAILURES, refused.command("AUTH PLAIN " + RIGHT));
                assertTrue(refused.closedByServer());
            } finally {
                readers.shutdownNow();
            }
        } finally {
            gate.open();
        }
    }

    @Test
    void aFailureIsAnsweredAfterTheDelayASuccessAtOnce() throws Exception {
        // The default delay, 2 s. Only lower bounds are measured for the delay, and the upper
        // bounds (success, no delay) are the whole delay: generous on a busy machine.
        long delay = TimeUnit.SECONDS.toNanos(2);
        try (SmtpServer server = authServer(new Users()).build().start(); SmtpClient c = greeted(server, null)) {
            long start = System.nanoTime();
            assertEquals("535 5.7.8 Authentication credentials invalid", c.command("AUTH PLAIN " + WRONG));
            long failed = System.nanoTime() - start;
            assertTrue(failed >= delay, () -> "535 after " + failed / 1_000_000 + " ms");
            start = System.nanoTime();
            assertEquals("235 2.7.0 Authentication successful", c.command("AUTH PLAIN " + RIGHT));
            long succeeded = System.nanoTime() - start;
            assertTrue(succeeded < delay, () -> "235 after " + succeeded / 1_000_000 + " ms");
        }
        try (SmtpServer server = authServer(new Users()).authFailureDelay(Duration.ZERO).build().start();
                SmtpClient c = greeted(server, null)) {
            long start = System.nanoTime();
            assertEquals("535 5.7.8 Authentication credentials invalid", c.command("AUTH PLAIN " + WRONG));
            long failed = System.nanoTime() - start;
            assertTrue(failed < delay, () -> "535 without delay after " + failed / 1_000_000 + " ms");
        }
    }

    @Test
    void hangingUpInTheDelayDoesNotGiveThePlaceBackEarly() throws Exception {
        // Otherwise a guesser would hang up after each guess and reconnect without waiting.
        Duration delay = Duration.ofMillis(1500);
        Users users = new Users();
        try (SmtpServer server = authServer(users).maxConcurrentAuthPerClient(1).authFailureDelay(delay)
                .build().start()) {
            long start;
            try (SmtpClient guesser = greeted(server, null)) {
                start = System.nanoTime();
                guesser.send("AUTH PLAIN " + WRONG + "\r\n");
                assertTrue(users.checked.tryAcquire(20, TimeUnit.SECONDS));
                // Checked, and now in its delay (which is long enough for this next exchange).
                try (SmtpClient probe = greeted(server, null)) {
                    assertEquals(TOO_MANY_AT_ONCE, probe.command("AUTH PLAIN " + RIGHT));
                }
            } // hangs up without reading its 535
            // Polling for the place to come back, a connection a try (a session ends after 10 errors).
            String reply = TOO_MANY_AT_ONCE;
            for (int i = 0; i < 200 && reply.equals(TOO_MANY_AT_ONCE); i++) {
                try (SmtpClient after = greeted(server, null)) {
                    reply = after.command("AUTH PLAIN " + RIGHT);
                }
                if (reply.equals(TOO_MANY_AT_ONCE)) {
                    Thread.sleep(25);
                }
            }
            long waited = System.nanoTime() - start;
            assertEquals("235 2.7.0 Authentication successful", reply);
            assertTrue(waited >= delay.toNanos(), () -> "the place came back after " + waited / 1_000_000 + " ms");
        }
    }

    @Test
    void authInProgressPerClientAddressIsLimitedAtTheLimitAndOneOver() throws Exception {
        Gate gate = new Gate();
        // Three loops: a, b and c are each on their own, and still counted as one client.
        try (SmtpServer server = authServer(gate).loops(3).maxConcurrentAuthPerClient(2).authenticatorThreads(4)
                .authFailureDelay(Duration.ZERO).build().start();
                SmtpClient a = greeted(server, null);
                SmtpClient b = greeted(server, null);
                SmtpClient c = greeted(server, null)) {
            a.send("AUTH PLAIN " + RIGHT + "\r\n");
            b.send("AUTH PLAIN " + WRONG + "\r\n");
            assertTrue(gate.entered.tryAcquire(2, 20, TimeUnit.SECONDS), "two checks from one address run at once");
            assertEquals(TOO_MANY_AT_ONCE, c.command("AUTH PLAIN " + RIGHT));
            SmtpClient other = otherClient(server);
            try (other) {
                other.send("AUTH PLAIN " + RIGHT + "\r\n");
                assertTrue(gate.entered.tryAcquire(1, 20, TimeUnit.SECONDS), "another address has its own allowance");
                gate.open();
                assertEquals("235 2.7.0 Authentication successful", a.reply());
                assertEquals("535 5.7.8 Authentication credentials invalid", b.reply());
                assertEquals("235 2.7.0 Authentication successful", other.reply());
                // The answers gave the places back; the 454 was no failure either.
                assertEquals("235 2.7.0 Authentication successful", c.command("AUTH PLAIN " + RIGHT));
            }
        } finally {
            gate.open();
        }
    }

    @Test
    void failuresPerClientAddressAreLimitedAtTheLimitAndOneOver() throws Exception {
        Capture capture = new Capture();
        // Three loops, taken in turn by the connections one after another: failures count across them.
        try (SmtpServer server = server(capture).loops(3).authenticator(new Users()).maxAuthFailuresPerClient(3)
                .authFailureDelay(Duration.ZERO).config(SessionConfig.builder().allowInsecureAuth(true).build())
                .build().start()) {
            try (SmtpClient c = greeted(server, null)) {
                for (int i = 0; i < 3; i++) {
                    assertEquals("535 5.7.8 Authentication credentials invalid", c.command("AUTH PLAIN " + WRONG));
                }
                assertEquals(TOO_MANY_FAILURES, c.command("AUTH PLAIN " + RIGHT));
                assertTrue(c.closedByServer());
            }
            try (SmtpClient again = greeted(server, null)) {
                assertEquals(TOO_MANY_FAILURES, again.command("AUTH PLAIN " + RIGHT));
                assertTrue(again.closedByServer());
            }
            try (SmtpClient login = greeted(server, null)) {
                assertTrue(login.command("AUTH LOGIN").startsWith("334"));
                assertTrue(login.command(b64("alice")).startsWith("334"));
                assertEquals(TOO_MANY_FAILURES, login.command(b64("right")));
            }
            // The address may still send mail without AUTH, as this server allows.
            try (SmtpClient mail = greeted(server, null)) {
                assertEquals("250 2.0.0 OK", mail.sendMail("a@example.org", "b@example.org", "Subject: no auth\r\n\r\nhi"));
            }
            assertTrue(capture.take().text().contains("Subject: no auth"));
            SmtpClient other = otherClient(server);
            try (other) {
                assertEquals("535 5.7.8 Authentication credentials invalid", other.command("AUTH PLAIN " + WRONG));
                assertEquals("235 2.7.0 Authentication successful", other.command("AUTH PLAIN " + RIGHT));
            }
        }
    }

    @Test
    void zeroTurnsTheFailureLimitOff() throws Exception {
        try (SmtpServer server = authServer(new Users()).maxAuthFailuresPerClient(0).authFailureDelay(Duration.ZERO)
                .build().start()) {
            // Past the default of 30, over connections (a session itself stops after 10 errors).
            for (int connection = 0; connection < 5; connection++) {
                try (SmtpClient c = greeted(server, null)) {
                    for (int i = 0; i < 8; i++) {
                        assertEquals("535 5.7.8 Authentication credentials invalid", c.command("AUTH PLAIN " + WRONG));
                    }
                }
            }
        }
    }

    @Test
    void mailFromAnotherAddressIsNotHeldUpByChecksThatNeverEnd() throws Exception {
        // Every password-check thread stuck and the queue full: a client that never
        // authenticates still delivers, through a real client library. Were the checks on the
        // hook executor, onMessage would wait behind them for ever.
        Gate gate = new Gate();
        ThreadRecordingCapture capture = new ThreadRecordingCapture();
        try (SmtpServer server = server(capture).authenticator(gate).authenticatorThreads(1)
                .maxConcurrentAuthPerClient(0).authFailureDelay(Duration.ZERO).config(SessionConfig.builder().allowInsecureAuth(true).build())
                .build().start();
                Clients flood = new Clients()) {
            for (int i = 0; i < 10; i++) {
                flood.add(greeted(server, null)).send("AUTH PLAIN " + WRONG + "\r\n");
            }
            assertTrue(gate.entered.tryAcquire(1, 20, TimeUnit.SECONDS));
            ExecutorService readers = Executors.newFixedThreadPool(10);
            try {
                CompletionService<String> replies = new ExecutorCompletionService<>(readers);
                flood.list.forEach(c -> replies.submit(c::reply));
                Future<String> refused = replies.poll(20, TimeUnit.SECONDS);
                assertTrue(refused != null, "the pool never filled");
                assertEquals(BUSY, refused.get());
                jakarta.mail.Transport.send(message(server.port(), "through the jam"));
                assertTrue(capture.take().text().contains("Subject: through the jam"));
                assertFalse(capture.threads.isEmpty());
                capture.threads.forEach(name -> assertFalse(name.startsWith("smtpkit-auth-"), name));
                gate.threads.forEach(name -> assertTrue(name.startsWith("smtpkit-auth-"), name));
                // A connection waiting for its check reads nothing, so it cannot see its client
                // go: let the checks end, or closing the server waits for them.
                gate.open();
            } finally {
                readers.shutdownNow();
            }
        } finally {
            gate.open();
        }
    }

    @Test
    void aPbkdf2FloodFromOneAddressDoesNotDelayMailFromAnother() throws Exception {
        // The review's attack, with every limit off but the pool: connections from 127.0.0.1
        // guess passwords of a {PBKDF2} user (210,000 iterations a check, the default) as fast as
        // they are answered, while 127.0.0.2 delivers without AUTH. Before the pool, with 100
        // such connections a delivery took seconds; here the bound is generous.
        Path users = Files.writeString(dir.resolve("users"), "alice:" + FileAuthenticator.hash("right".toCharArray()) + "\n");
        FileAuthenticator file = FileAuthenticator.load(users);
        Set<String> checkThreads = ConcurrentHashMap.newKeySet();
        AtomicInteger checks = new AtomicInteger();
        Authenticator recording = (user, password) -> {
            checkThreads.add(Thread.currentThread().getName());
            checks.incrementAndGet();
            return file.authenticate(user, password);
        };
        ThreadRecordingCapture capture = new ThreadRecordingCapture();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger busy = new AtomicInteger();
        List<Thread> flood = new ArrayList<>();
        try (SmtpServer server = server(capture).authenticator(recording).maxConcurrentAuthPerClient(0)
                .maxAuthFailuresPerClient(0).authFailureDelay(Duration.ZERO)
                .config(SessionConfig.builder().allowInsecureAuth(true).build()).build().start()) {
            for (int i = 0; i < 64; i++) {
                Thread t = new Thread(() -> guess(server, stop, busy), "flood-" + i);
                t.setDaemon(true);
                t.start();
                flood.add(t);
            }
            // The flood is on once the checks queue is full.
            Eventually.await(() -> busy.get() > 0 && checks.get() > 0, java.time.Duration.ofSeconds(20),
                    "the flood fills the queue");
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                jakarta.mail.Transport.send(message(server.port(), "delivery " + i));
                assertTrue(capture.take().text().contains("Subject: delivery " + i));
                long took = System.nanoTime() - start;
                assertTrue(took < TimeUnit.SECONDS.toNanos(10), () -> "delivery took " + took / 1_000_000 + " ms");
            }
            assertTrue(flood.stream().allMatch(Thread::isAlive), "the flood ran all along");
            stopFlood(stop, flood); // before closing the server, which would wait for its checks
            capture.threads.forEach(name -> assertFalse(name.startsWith("smtpkit-auth-"), name));
            assertFalse(checkThreads.isEmpty());
            checkThreads.forEach(name -> assertTrue(name.startsWith("smtpkit-auth-"), name));
        } finally {
            stopFlood(stop, flood);
        }
    }

    private static void stopFlood(AtomicBoolean stop, List<Thread> flood) throws InterruptedException {
        stop.set(true);
        for (Thread t : flood) {
            t.join(10_000);
        }
    }

    @Test
    void theBuilderRefusesBadValues() {
        SmtpServer.Builder b = SmtpServer.builder();
        assertThrows(IllegalArgumentException.class, () -> b.authFailureDelay(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.maxConcurrentAuthPerClient(-1));
        assertThrows(IllegalArgumentException.class, () -> b.maxAuthFailuresPerClient(-1));
        assertThrows(IllegalArgumentException.class, () -> b.authenticatorThreads(0));
        b.authFailureDelay(Duration.ZERO).maxConcurrentAuthPerClient(0).maxAuthFailuresPerClient(0).authenticatorThreads(1);
    }

    /** One flooding connection after another: wrong passwords as fast as they are answered. */
    private static void guess(SmtpServer server, AtomicBoolean stop, AtomicInteger busy) {
        while (!stop.get()) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                if (!c.reply().startsWith("220") || !c.command("EHLO flood.example").startsWith("250")) {
                    continue;
                }
                while (!stop.get()) {
                    String reply = c.command("AUTH PLAIN " + WRONG);
                    if (reply.startsWith("454")) {
                        busy.incrementAndGet();
                    } else if (!reply.startsWith("535")) {
                        break; // 421 after too many errors: reconnect
                    }
                }
            } catch (IOException e) {
                // closed under us: reconnect
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    private static SmtpServer.Builder authServer(Authenticator authenticator) {
        return server(new Capture()).authenticator(authenticator)
                .config(SessionConfig.builder().allowInsecureAuth(true).build());
    }

    /** Connected (from {@code local} if not null), greeted, EHLO said. */
    private static SmtpClient greeted(SmtpServer server, InetSocketAddress local) throws IOException {
        SmtpClient c = SmtpClient.connect(server.addresses().get(0), local);
        assertTrue(c.reply().startsWith("220"));
        assertTrue(c.command("EHLO client.example").startsWith("250"));
        return c;
    }

    private static SmtpClient otherClient(SmtpServer server) throws IOException {
        try {
            return greeted(server, OTHER_CLIENT);
        } catch (java.net.BindException e) {
            Assumptions.abort("no 127.0.0.2 on this system");
            throw e;
        }
    }

    private static MimeMessage message(int port, String subject) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(port));
        p.put("mail.smtp.localaddress", "127.0.0.2");
        p.put("mail.smtp.localhost", "other.example");
        p.put("mail.smtp.connectiontimeout", "20000");
        p.put("mail.smtp.timeout", "20000");
        MimeMessage m = new MimeMessage(Session.getInstance(p));
        m.setFrom("sender@example.org");
        m.setRecipients(RecipientType.TO, "rcpt@example.org");
        m.setSubject(subject);
        m.setText("Not one password was checked for this.\n");
        return m;
    }

    private static String plain(String user, String password) {
        return b64("\0" + user + "\0" + password);
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** alice's password is "right". Counts the checks it has done. */
    private static final class Users implements Authenticator {
        final Semaphore checked = new Semaphore(0);

        @Override
        public boolean authenticate(String username, String password) {
            boolean right = username.equals("alice") && password.equals("right");
            checked.release();
            return right;
        }
    }

    /** As {@link Users}, but each check waits until the gate opens; counts and names the threads that enter. */
    private static final class Gate implements Authenticator {
        final Semaphore entered = new Semaphore(0);
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        private final CountDownLatch open = new CountDownLatch(1);

        @Override
        public boolean authenticate(String username, String password) throws InterruptedException {
            threads.add(Thread.currentThread().getName());
            entered.release();
            if (!open.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the gate was never opened");
            }
            return username.equals("alice") && password.equals("right");
        }

        void open() {
            open.countDown();
        }
    }

    /** A {@link Capture} that also names the threads onMessage ran on. */
    private static final class ThreadRecordingCapture extends Capture {
        final BlockingQueue<String> threads = new LinkedBlockingQueue<>();

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            threads.add(Thread.currentThread().getName());
            return super.onMessage(session, envelope, message);
        }
    }

    /** Clients closed together. */
    private static final class Clients implements AutoCloseable {
        final List<SmtpClient> list = new ArrayList<>();

        SmtpClient add(SmtpClient c) {
            list.add(c);
            return c;
        }

        @Override
        public void close() throws IOException {
            for (SmtpClient c : list) {
                c.close();
            }
        }
    }
}
