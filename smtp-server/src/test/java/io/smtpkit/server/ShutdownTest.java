package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.testsupport.SmtpClient;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ShutdownTest {

    @Test
    void closeLetsTheMessageInFlightFinishAndTurnsIdleSessionsAway() throws Exception {
        CountDownLatch inHook = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch delivered = new CountDownLatch(1);
        SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> {
            inHook.countDown();
            assertTrue(release.await(30, TimeUnit.SECONDS));
            delivered.countDown();
            return Reply.of(250, "2.0.0", "stored");
        };
        SmtpServer server = server(handler).build().start();
        try (SmtpClient busy = SmtpClient.connect(server); SmtpClient idle = SmtpClient.connect(server)) {
            busy.reply();
            idle.reply();
            busy.command("EHLO busy.example");
            idle.command("EHLO idle.example");
            busy.command("MAIL FROM:<a@example.org>");
            busy.command("RCPT TO:<b@example.org>");
            busy.command("DATA");
            busy.send("in flight\r\n.\r\n");
            assertTrue(inHook.await(30, TimeUnit.SECONDS));

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            assertEquals("421 4.3.2 Service shutting down, closing transmission channel", idle.reply());
            assertTrue(idle.closedByServer());
            assertFalse(closing.isDone());

            release.countDown();
            assertEquals("250 2.0.0 stored", busy.reply());
            assertEquals("421 4.3.2 Service shutting down, closing transmission channel", busy.reply());
            assertTrue(busy.closedByServer());
            closing.get(30, TimeUnit.SECONDS);
            assertEquals(0, delivered.getCount());
            assertEquals(0, server.connectionCount());
        } finally {
            release.countDown();
            server.close();
        }
    }

    @Test
    void onCloseComesOnceAndOnlyAfterAHookStillRunningAtTheShutdownTimeout() throws Exception {
        java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newCachedThreadPool();
        CountDownLatch inHook = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean hookRunning = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger closesDuringHook = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch closed = new CountDownLatch(1);
        SmtpHandler handler = new SmtpHandler() {
            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
                hookRunning.set(true);
                inHook.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } finally {
                    hookRunning.set(false);
                }
                return null;
            }

            @Override
            public void onClose(SessionContext session) {
                if (hookRunning.get()) {
                    closesDuringHook.incrementAndGet();
                }
                closes.incrementAndGet();
                closed.countDown();
            }
        };
        SmtpServer server = server(handler).executor(executor).shutdownTimeout(java.time.Duration.ofMillis(300)).build().start();
        try (SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            c.command("MAIL FROM:<a@example.org>");
            c.command("RCPT TO:<b@example.org>");
            c.command("DATA");
            c.send("stuck\r\n.\r\n");
            assertTrue(inHook.await(30, TimeUnit.SECONDS));
            server.close(); // the hook outlives the shutdown timeout: the connection is closed under it
            assertTrue(c.closedByServer());
            assertFalse(closed.await(300, TimeUnit.MILLISECONDS), "onClose ran while onMessage was still running");
            release.countDown();
            assertTrue(closed.await(30, TimeUnit.SECONDS), "onClose never ran");
            // Every hook runs on this executor: once it has finished all it was given, no second
            // onClose can still come.
            executor.shutdown();
            assertTrue(executor.awaitTermination(30, TimeUnit.SECONDS), "the hooks did not finish");
            assertEquals(1, closes.get());
            assertEquals(0, closesDuringHook.get());
        } finally {
            release.countDown();
            server.close();
            executor.shutdownNow();
        }
    }

    @Test
    void aHandlerMayCloseItsServerFromAHook() throws Exception {
        // "Take one message, then stop" (aiosmtpd users do it with controller.stop()). close()
        // waits for transactions in flight, and the one calling it is in flight itself.
        SmtpServer[] self = new SmtpServer[1];
        SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> {
            self[0].close();
            return Reply.of(250, "2.0.0", "last one");
        };
        SmtpServer server = server(handler).shutdownTimeout(java.time.Duration.ofMinutes(2)).build().start();
        self[0] = server;
        try (SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO x.example");
            // SmtpClient reads with a 20 s timeout: long before the 2 minute shutdown timeout.
            assertEquals("250 2.0.0 last one", c.sendMail("a@example.org", "b@example.org", "bye"));
            assertEquals("421 4.3.2 Service shutting down, closing transmission channel", c.reply());
            assertTrue(c.closedByServer());
        } finally {
            server.close();
        }
        assertEquals(0, server.connectionCount());
    }

    @Test
    void aGivenExecutorRunsTheHooksAndIsNotShutDown() throws Exception {
        java.util.concurrent.ExecutorService executor = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "custom-hook-thread");
            t.setDaemon(true);
            return t;
        });
        try {
            String[] thread = new String[1];
            SmtpHandler handler = (SessionContext session, Envelope envelope, Message message) -> {
                thread[0] = Thread.currentThread().getName();
                return null;
            };
            try (SmtpServer server = server(handler).executor(executor).build().start(); SmtpClient c = SmtpClient.connect(server)) {
                c.reply();
                c.command("EHLO x.example");
                assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "x"));
            }
            assertEquals("custom-hook-thread", thread[0]);
            assertFalse(executor.isShutdown());
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aServerClosedWithoutStartingLeavesNoFileDescriptors() throws Exception {
        java.nio.file.Path fds = java.nio.file.Path.of("/proc/self/fd");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(fds), "needs /proc");
        for (int i = 0; i < 5; i++) {
            server(new TestSupport.Capture()).build().close(); // warm up
        }
        long before = countFds(fds);
        for (int i = 0; i < 100; i++) {
            server(new TestSupport.Capture()).build().close();
        }
        long after = countFds(fds);
        assertTrue(after - before < 20, "file descriptors before " + before + ", after " + after);
        SmtpServer closed = server(new TestSupport.Capture()).build();
        closed.close();
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, closed::start);
    }

    private static long countFds(java.nio.file.Path fds) throws java.io.IOException {
        try (java.util.stream.Stream<java.nio.file.Path> list = java.nio.file.Files.list(fds)) {
            return list.count();
        }
    }

    @Test
    void closeIsIdempotentAndWorksBeforeStart() throws Exception {
        SmtpServer never = server(new TestSupport.Capture()).build();
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(never::close, "close before start");
        assertEquals(0, never.connectionCount());
        SmtpServer server = server(new TestSupport.Capture()).build().start();
        java.net.InetSocketAddress address = server.addresses().get(0);
        server.close();
        org.junit.jupiter.api.Assertions.assertDoesNotThrow(server::close, "a second close");
        assertEquals(0, server.connectionCount());
        // Closed means not listening: a connection is refused (or, at worst, closed unanswered).
        try (java.net.Socket late = new java.net.Socket()) {
            late.connect(address, 5_000);
            late.setSoTimeout(5_000);
            assertEquals(-1, late.getInputStream().read(), "a closed server answered");
        } catch (java.net.ConnectException refused) {
            // expected
        }
    }
}
