package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.Reply;
import io.smtpkit.server.TestSupport.Capture;
import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Several event loops: connections spread over them, every limit counted across them, close on each. */
class EventLoopsTest {

    private static final String STORAGE = "452 4.3.1 Error: insufficient system storage, try again later";
    private static final int ENTRY = 160 + 2 * 4;

    /** The loop thread each connection (by session id) was opened on: the tap runs on the connection's loop. */
    static final class LoopTap implements ConnectionTap {
        final Map<String, String> loopOf = new ConcurrentHashMap<>();

        @Override
        public Listener open(SessionContext session) {
            loopOf.put(session.id(), Thread.currentThread().getName());
            return null;
        }

        Set<String> loops() {
            return new TreeSet<>(loopOf.values());
        }
    }

    /** Records the thread its onConnect ran on: a NonBlocking handler's hooks run on the connection's loop. */
    static final class ConnectThreads implements SmtpHandler, SmtpHandler.NonBlocking {
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
            return null;
        }

        @Override
        public Reply onConnect(SessionContext session) {
            threads.add(Thread.currentThread().getName());
            return null;
        }
    }

    @Test
    void connectionsLandOnDifferentLoopsAndStayThere() throws Exception {
        ConnectThreads handler = new ConnectThreads();
        List<SmtpClient> clients = new ArrayList<>();
        try (SmtpServer server = server(handler).loops(3).build().start()) {
            try {
                for (int i = 0; i < 6; i++) {
                    SmtpClient c = SmtpClient.connect(server);
                    clients.add(c);
                    assertTrue(c.reply().startsWith("220"));
                }
                for (SmtpClient c : clients) {
                    assertTrue(c.command("EHLO client.example").startsWith("250"));
                    assertEquals("250 2.0.0 OK", c.sendMail("a@example.org", "b@example.org", "Subject: t\r\n\r\nx"));
                }
            } finally {
                for (SmtpClient c : clients) {
                    c.close();
                }
            }
        }
        // Six connections held open at once over three loops: two on each, the least loaded first.
        assertEquals(6, handler.threads.size(), handler.threads.toString());
        for (String loop : List.of("smtpkit-loop-1", "smtpkit-loop-2", "smtpkit-loop-3")) {
            assertEquals(2, handler.threads.stream().filter(loop::equals).count(), handler.threads.toString());
        }
    }

    @Test
    void theGlobalConnectionLimitHoldsExactlyUnderConcurrentAcceptsOverLoops() throws Exception {
        try (SmtpServer server = server(new Capture()).loops(2).maxConnections(10).maxConnectionsPerClient(0)
                .maxConnectionRatePerClient(0).build().start()) {
            assertEquals(List.of(10, 30), greetedAndRefused(server, 40, "421 4.7.0"));
        }
    }

    @Test
    void thePerClientLimitHoldsExactlyUnderConcurrentAcceptsOverLoops() throws Exception {
        try (SmtpServer server = server(new Capture()).loops(2).maxConnections(0).maxConnectionsPerClient(10)
                .maxConnectionRatePerClient(0).build().start()) {
            assertEquals(List.of(10, 30), greetedAndRefused(server, 40, "421 4.7.0 Error: too many connections from your address"));
        }
    }

    /**
     * Opens {@code n} connections from as many threads at once, holds every one until all have
     * their first reply, and counts greetings and refusals starting with {@code refusal}.
     */
    private static List<Integer> greetedAndRefused(SmtpServer server, int n, String refusal) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch answered = new CountDownLatch(n);
        CountDownLatch release = new CountDownLatch(1);
        try {
            List<Future<String>> replies = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                replies.add(threads.submit(() -> {
                    go.await();
                    try (SmtpClient c = SmtpClient.connect(server)) {
                        String reply = c.reply();
                        answered.countDown();
                        release.await(30, TimeUnit.SECONDS); // a greeted connection keeps its place
                        return reply;
                    } finally {
                        answered.countDown();
                    }
                }));
            }
            go.countDown();
            assertTrue(answered.await(30, TimeUnit.SECONDS), "every client has its first reply");
            release.countDown();
            int greeted = 0;
            int refused = 0;
            for (Future<String> f : replies) {
                String reply = f.get(30, TimeUnit.SECONDS);
                if (reply.startsWith("220")) {
                    greeted++;
                } else if (reply.startsWith(refusal)) {
                    refused++;
                } else {
                    throw new AssertionError("unexpected first reply: " + reply);
                }
            }
            return List.of(greeted, refused);
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void theEnvelopeBudgetIsCountedAcrossLoops() throws Exception {
        LoopTap tap = new LoopTap();
        List<SmtpClient> clients = new ArrayList<>();
        try (SmtpServer server = server(new Capture()).loops(2).tap(tap).envelopeMemory(4 * ENTRY).build().start()) {
            try {
                for (int i = 2; i <= 6; i++) {
                    SmtpClient c = SmtpClient.connect(server.addresses().get(0), new InetSocketAddress("127.0.0." + i, 0));
                    clients.add(c);
                    c.reply();
                    c.command("EHLO x.example");
                }
                assertEquals(Set.of("smtpkit-loop-1", "smtpkit-loop-2"), tap.loops());
                for (int i = 0; i < 4; i++) { // four clients on two loops, a quarter each: the whole budget
                    assertTrue(clients.get(i).command("MAIL FROM:<s@x.y>").startsWith("250"));
                }
                assertEquals(STORAGE, clients.get(4).command("MAIL FROM:<s@x.y>"));
                assertTrue(clients.get(0).command("RSET").startsWith("250")); // given back on another loop
                assertTrue(clients.get(4).command("MAIL FROM:<s@x.y>").startsWith("250"));
            } finally {
                for (SmtpClient c : clients) {
                    c.close();
                }
            }
        }
    }

    /** Holds every message in onMessage until released; records what it answered 250 to. */
    static final class HeldDelivery implements SmtpHandler {
        final CountDownLatch arrived;
        final CountDownLatch release = new CountDownLatch(1);
        final Set<String> delivered = ConcurrentHashMap.newKeySet();

        HeldDelivery(int messages) {
            arrived = new CountDownLatch(messages);
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            arrived.countDown();
            release.await(30, TimeUnit.SECONDS);
            String text = new String(message.bytes(), StandardCharsets.US_ASCII).trim();
            delivered.add(text.substring(text.lastIndexOf('\n') + 1)); // the body's one line
            return null;
        }
    }

    @Test
    void closeLetsTransactionsInFlightOnEveryLoopFinishAndTellsIdleClients421() throws Exception {
        LoopTap tap = new LoopTap();
        HeldDelivery handler = new HeldDelivery(4);
        List<SmtpClient> busy = new ArrayList<>();
        List<SmtpClient> idle = new ArrayList<>();
        SmtpServer server = server(handler).loops(2).tap(tap).shutdownTimeout(java.time.Duration.ofSeconds(20)).build().start();
        Thread closer = new Thread(server::close, "test-closer");
        try {
            for (int i = 0; i < 4; i++) {
                SmtpClient c = SmtpClient.connect(server);
                busy.add(c);
                c.reply();
                c.command("EHLO busy.example");
                c.command("MAIL FROM:<a@example.org>");
                c.command("RCPT TO:<b@example.org>");
                assertTrue(c.command("DATA").startsWith("354"));
                c.send("Subject: t\r\n\r\nmessage " + i + "\r\n.\r\n");
            }
            for (int i = 0; i < 2; i++) {
                SmtpClient c = SmtpClient.connect(server);
                idle.add(c);
                c.reply();
                c.command("EHLO idle.example");
            }
            assertTrue(handler.arrived.await(30, TimeUnit.SECONDS), "every message is in onMessage");
            assertEquals(Set.of("smtpkit-loop-1", "smtpkit-loop-2"), tap.loops());
            closer.start();
            for (SmtpClient c : idle) {
                assertTrue(c.reply().startsWith("421 4.3.2"), "an idle client is told the server is closing");
            }
            handler.release.countDown();
            for (int i = 0; i < busy.size(); i++) {
                SmtpClient c = busy.get(i);
                String reply = c.reply();
                if (reply.startsWith("250")) {
                    assertTrue(handler.delivered.contains("message " + i),
                            "a message answered 250 was delivered: " + i);
                    assertTrue(c.reply().startsWith("421 4.3.2"), "then the session is told 421");
                } else {
                    assertTrue(reply.startsWith("421"), reply);
                }
            }
            closer.join(30_000);
            assertEquals(false, closer.isAlive(), "close() returned once every loop ended");
            assertEquals(4, handler.delivered.size(), "every message in flight finished within the timeout");
        } finally {
            handler.release.countDown();
            for (SmtpClient c : busy) {
                c.close();
            }
            for (SmtpClient c : idle) {
                c.close();
            }
            server.close();
        }
    }

    @Test
    void loopsBelowOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SmtpServer.builder().loops(0));
    }
}
