package io.smtpkit.queue.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueuedEnvelope;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.relay.queue.RecipientOutcome;
import io.smtpkit.relay.queue.RecipientState.State;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Several stores on one database, as several nodes run them: what only a shared store must get right. */
class PostgresNodesTest {

    private static final Duration LEASE = Duration.ofMinutes(5);

    private TestDatabase db;
    private final List<QueueStore> stores = new ArrayList<>();

    @BeforeEach
    void schema() throws SQLException {
        db = TestDatabase.create();
    }

    @AfterEach
    void drop() throws Exception {
        for (QueueStore s : stores) {
            s.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private QueueStore node() throws IOException {
        QueueStore s = PostgresQueueStore.connect(db.url());
        stores.add(s);
        return s;
    }

    private static QueuedEnvelope envelope(String... recipients) {
        List<QueuedEnvelope.Recipient> r = new ArrayList<>();
        for (String a : recipients) {
            r.add(new QueuedEnvelope.Recipient(a, Map.of()));
        }
        return new QueuedEnvelope("a@x.org", Map.of(), r);
    }

    private static InputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void whatOneNodeEnqueuedAnotherSeesAtOnce() throws Exception {
        QueueStore a = node();
        QueueStore b = node();

        QueuedMessage m = a.enqueue(envelope("b@y.org", "c@y.org"), text("from a"));

        QueuedMessage seen = b.get(m.id()).orElseThrow(() -> new AssertionError("b does not see a's message"));
        assertEquals(List.of("b@y.org", "c@y.org"), seen.envelope().addresses());
        try (InputStream in = b.open(m.id())) {
            assertArrayEquals("from a".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
        }
    }

    @Test
    void twoNodesClaimingAtOnceNeverShareAMessage() throws Exception {
        QueueStore a = node();
        QueueStore b = node();
        int n = 200;
        for (int i = 0; i < n; i++) {
            (i % 2 == 0 ? a : b).enqueue(envelope("r" + i + "@y.org"), text("m" + i));
        }
        Instant now = Instant.now().plusMillis(1);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> workers = new ArrayList<>();
            for (int w = 0; w < 6; w++) {
                QueueStore node = w % 2 == 0 ? a : b;
                String owner = (w % 2 == 0 ? "a-" : "b-") + w;
                Callable<List<String>> claimer = () -> {
                    start.await();
                    List<String> mine = new ArrayList<>();
                    List<QueuedMessage> got;
                    while (!(got = node.claimDue(now, 4, LEASE, owner)).isEmpty()) {
                        got.forEach(m -> mine.add(m.id()));
                    }
                    return mine;
                };
                workers.add(pool.submit(claimer));
            }
            start.countDown();
            List<String> all = new ArrayList<>();
            List<Integer> perWorker = new ArrayList<>();
            for (Future<List<String>> f : workers) {
                List<String> mine = f.get(60, TimeUnit.SECONDS);
                perWorker.add(mine.size());
                all.addAll(mine);
            }
            assertEquals(n, new HashSet<>(all).size(), "every message claimed: " + perWorker);
            assertEquals(n, all.size(), "and none twice: " + perWorker);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDeadNodesWorkGoesToAnotherOnceItsLeaseExpires() throws Exception {
        QueueStore dead = node();
        QueueStore alive = node();
        QueuedMessage m = dead.enqueue(envelope("one@y.org", "two@y.org"), text("hello"));
        Instant now = Instant.now().plusMillis(1);
        assertEquals(1, dead.claimDue(now, 10, Duration.ofSeconds(30), "dead-node").size());
        dead.close(); // the process is gone: nothing recorded, nothing released

        assertEquals(List.of(), alive.claimDue(now.plusSeconds(29), 10, LEASE, "alive-node"), "still leased");
        List<QueuedMessage> taken = alive.claimDue(now.plusSeconds(31), 10, LEASE, "alive-node");

        assertEquals(List.of(m.id()), taken.stream().map(QueuedMessage::id).toList());
        assertTrue(alive.recordAttempt(m.id(), "alive-node", List.of(
                RecipientOutcome.delivered("one@y.org", "250 ok"),
                RecipientOutcome.deferred("two@y.org", "451 later")), now.plusSeconds(32), now.plusSeconds(332)));
        QueuedMessage after = alive.get(m.id()).orElseThrow();
        assertEquals(List.of(State.DELIVERED, State.DEFERRED), after.recipients().stream().map(r -> r.state()).toList());
    }

    @Test
    void aLeaseRenewedOnOneNodeKeepsTheOtherOut() throws Exception {
        QueueStore a = node();
        QueueStore b = node();
        QueuedMessage m = a.enqueue(envelope("b@y.org"), text("x"));
        Instant now = Instant.now().plusMillis(1);
        a.claimDue(now, 1, Duration.ofSeconds(10), "a");

        assertTrue(a.renew(m.id(), "a", now.plusSeconds(60)));

        assertEquals(List.of(), b.claimDue(now.plusSeconds(30), 10, LEASE, "b"));
        assertFalse(b.recordAttempt(m.id(), "b", List.of(RecipientOutcome.delivered("b@y.org", "250")), now, now));
    }

    /** A database restart, as the pool sees it: its connections cut under it. One transaction may fail; the next works. */
    @Test
    void aConnectionCutByTheServerIsReplaced() throws Exception {
        QueueStore a = node();
        QueuedMessage m = a.enqueue(envelope("b@y.org"), text("before"));
        int cut;
        try (java.sql.Connection admin = db.connect(); java.sql.Statement s = admin.createStatement();
                java.sql.ResultSet r = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE application_name = 'smtpkit queue' AND datname = current_database() AND pid <> pg_backend_pid()")) {
            r.next();
            cut = r.getInt(1);
        }
        assertTrue(cut >= 1, "the store's connection was cut");
        try {
            a.get(m.id());
        } catch (IOException expected) {
            // the cut connection is found out on its first use, closed, and not given back
        }
        assertEquals(List.of(m.id()), a.list().stream().map(QueuedMessage::id).toList(), "a new connection serves");
        assertTrue(a.enqueue(envelope("c@y.org"), text("after")).size() > 0);
    }

    @Test
    void aContentStreamThatFailsLeavesNothingQueued() throws Exception {
        QueueStore a = node();
        InputStream failing = new InputStream() {
            private int left = 200_000;

            @Override
            public int read() throws IOException {
                if (left-- == 0) {
                    throw new IOException("client went away");
                }
                return 'x';
            }
        };

        assertThrows(IOException.class, () -> a.enqueue(envelope("b@y.org"), failing));

        assertEquals(List.of(), a.list());
        QueuedMessage next = a.enqueue(envelope("b@y.org"), text("after")); // the pool's connection is still good
        assertEquals(List.of(next.id()), a.list().stream().map(QueuedMessage::id).toList());
    }
}
