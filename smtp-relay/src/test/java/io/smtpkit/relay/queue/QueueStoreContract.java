package io.smtpkit.relay.queue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.relay.queue.RecipientState.State;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The tests every {@link QueueStore} must pass. A store's test extends this class and says how
 * to open its store: {@link #open()} opens the store under test, and opens it again (a restart)
 * when called after {@link QueueStore#close()}, on the same storage; each test starts empty.
 *
 * <p>Times are passed in explicitly ({@code claimDue(now, …)}), so leases and due times are tested
 * without waiting. A store may keep instants at any precision down to the millisecond.
 */
public abstract class QueueStoreContract {

    private static final Duration LEASE = Duration.ofMinutes(5);

    private final List<QueueStore> opened = new ArrayList<>();

    /** Opens the store under test: empty at a test's first call, the same storage at the next ones. */
    protected abstract QueueStore openStore() throws Exception;

    private QueueStore open() throws Exception {
        QueueStore s = openStore();
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeStores() throws IOException {
        for (QueueStore s : opened) {
            s.close();
        }
    }

    static QueuedEnvelope envelope(String sender, String... recipients) {
        List<QueuedEnvelope.Recipient> r = new ArrayList<>();
        for (String a : recipients) {
            r.add(new QueuedEnvelope.Recipient(a, Map.of()));
        }
        return new QueuedEnvelope(sender, Map.of(), r);
    }

    static byte[] content(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] read(QueueStore store, String id) throws IOException {
        try (InputStream in = store.open(id)) {
            return in.readAllBytes();
        }
    }

    static Instant later(Duration d) {
        return Instant.now().plus(d);
    }

    private static QueuedMessage only(List<QueuedMessage> claimed) {
        assertEquals(1, claimed.size(), () -> "claimed " + claimed);
        return claimed.get(0);
    }

    private static State stateOf(QueuedMessage m, String address) {
        return m.recipients().stream().filter(r -> r.address().equals(address)).findFirst().orElseThrow().state();
    }

    @Test
    void anEnqueuedMessageKeepsItsOctetsAndEnvelope() throws Exception {
        QueueStore store = open();
        byte[] octets = new byte[300_000];
        new Random(11).nextBytes(octets); // every octet value, CR, LF and dots included
        Map<String, String> mail = new LinkedHashMap<>();
        mail.put("BODY", "8BITMIME");
        mail.put("SMTPUTF8", null);
        mail.put("ENVID", "a+20b");
        Map<String, String> rcpt = new LinkedHashMap<>();
        rcpt.put("NOTIFY", "FAILURE,DELAY");
        rcpt.put("ORCPT", "rfc822;bob@example.net");
        QueuedEnvelope env = new QueuedEnvelope("alice@example.org", mail, List.of(
                new QueuedEnvelope.Recipient("bob@example.net", rcpt),
                new QueuedEnvelope.Recipient("\"odd local\"@example.net", Map.of()),
                new QueuedEnvelope.Recipient("用户@例子.广告", Map.of())));
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);

        QueuedMessage m = store.enqueue(env, new ByteArrayInputStream(octets));

        assertEquals(octets.length, m.size());
        assertArrayEquals(octets, read(store, m.id()));
        QueuedMessage got = store.get(m.id()).orElseThrow();
        assertEquals(env, got.envelope());
        assertEquals(octets.length, got.size());
        assertFalse(got.arrival().isBefore(before), got::toString);
        assertFalse(got.arrival().isAfter(Instant.now()), got::toString);
        assertEquals(0, got.attempts());
        assertNull(got.lastAttempt());
        assertFalse(got.held());
        for (RecipientState r : got.recipients()) {
            assertEquals(State.QUEUED, r.state());
            assertNull(r.lastReply());
        }
        assertEquals(List.of(m.id()), store.list().stream().map(QueuedMessage::id).toList());
    }

    @Test
    void anEmptyMessageAndTheNullReversePathAreKept() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("", "postmaster"), new ByteArrayInputStream(new byte[0]));
        assertArrayEquals(new byte[0], read(store, m.id()));
        QueuedMessage got = store.get(m.id()).orElseThrow();
        assertTrue(got.envelope().isBounce());
        assertEquals(List.of("postmaster"), got.envelope().addresses());
    }

    @Test
    void aRecipientGivenTwiceIsStoredOnce() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org", "c@y.org", "b@y.org"), new ByteArrayInputStream(content("x")));
        assertEquals(List.of("b@y.org", "c@y.org"), store.get(m.id()).orElseThrow().envelope().addresses());
    }

    @Test
    void idsAreDistinct() throws Exception {
        QueueStore store = open();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            assertTrue(ids.add(store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("m" + i))).id()));
        }
        assertEquals(50, store.list().size());
    }

    @Test
    void unknownIdsAreNotFound() throws Exception {
        QueueStore store = open();
        assertTrue(store.get("nope").isEmpty());
        assertThrows(NoSuchElementException.class, () -> store.open("nope"));
        assertFalse(store.delete("nope"));
        assertFalse(store.hold("nope"));
        assertFalse(store.release("nope"));
        assertFalse(store.renew("nope", "w", later(LEASE)));
        assertFalse(store.recordAttempt("nope", "w", List.of(), Instant.now(), Instant.now()));
    }

    @Test
    void aNewMessageIsDueAtOnceAndClaimedByOneOwner() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));

        QueuedMessage claimed = only(store.claimDue(now, 10, LEASE, "A"));

        assertEquals(m.id(), claimed.id());
        assertEquals(List.of(), store.claimDue(now, 10, LEASE, "B"), "a leased message goes to no one else");
        assertEquals(List.of(), store.claimDue(now, 10, LEASE, "A"), "nor to its owner twice");
    }

    @Test
    void claimsAreExclusiveBetweenOwnersRacing() throws Exception {
        QueueStore store = open();
        int n = 40;
        for (int i = 0; i < n; i++) {
            store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("m" + i)));
        }
        Instant now = later(Duration.ofMillis(1));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<String>>> owners = new ArrayList<>();
            for (int o = 0; o < 4; o++) {
                String owner = "owner-" + o;
                Callable<List<String>> claimer = () -> {
                    start.await();
                    List<String> mine = new ArrayList<>();
                    List<QueuedMessage> got;
                    while (!(got = store.claimDue(now, 3, LEASE, owner)).isEmpty()) {
                        got.forEach(m -> mine.add(m.id()));
                    }
                    return mine;
                };
                owners.add(pool.submit(claimer));
            }
            start.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> f : owners) {
                all.addAll(f.get(60, TimeUnit.SECONDS));
            }
            assertEquals(n, all.size(), "every message claimed exactly once: " + all);
            assertEquals(n, new HashSet<>(all).size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void claimDueTakesAtMostMaxOldestFirst() throws Exception {
        QueueStore store = open();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("m" + i))).id());
        }
        Instant now = later(Duration.ofMillis(1));
        List<QueuedMessage> first = store.claimDue(now, 2, LEASE, "A");
        assertEquals(2, first.size());
        List<QueuedMessage> rest = store.claimDue(now, 10, LEASE, "A");
        assertEquals(3, rest.size());
        List<String> got = new ArrayList<>();
        first.forEach(m -> got.add(m.id()));
        rest.forEach(m -> got.add(m.id()));
        assertEquals(new HashSet<>(ids), new HashSet<>(got));
    }

    @Test
    void anExpiredLeaseReturnsTheWork() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, Duration.ofSeconds(30), "A"));

        assertEquals(List.of(), store.claimDue(now.plusSeconds(29), 10, LEASE, "B"));
        QueuedMessage again = only(store.claimDue(now.plusSeconds(31), 10, LEASE, "B"));

        assertEquals(m.id(), again.id());
        assertFalse(store.renew(m.id(), "A", now.plusSeconds(600)), "A lost its lease");
        assertFalse(store.recordAttempt(m.id(), "A", List.of(RecipientOutcome.delivered("b@y.org", "250 ok")),
                now.plusSeconds(32), now.plusSeconds(32)), "A may not record over B's lease");
        assertEquals(State.QUEUED, stateOf(store.get(m.id()).orElseThrow(), "b@y.org"));
    }

    @Test
    void renewingKeepsTheLease() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, Duration.ofSeconds(30), "A"));

        assertTrue(store.renew(m.id(), "A", now.plusSeconds(120)));

        assertEquals(List.of(), store.claimDue(now.plusSeconds(60), 10, LEASE, "B"));
        assertFalse(store.renew(m.id(), "B", now.plusSeconds(600)), "B holds no lease");
        only(store.claimDue(now.plusSeconds(121), 10, LEASE, "B"));
    }

    @Test
    void outcomesArePerRecipient() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "one@y.org", "two@y.org", "three@y.org"),
                new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, LEASE, "A"));
        Instant next = now.plusSeconds(300);

        assertTrue(store.recordAttempt(m.id(), "A", List.of(
                RecipientOutcome.delivered("one@y.org", "250 2.0.0 Ok"),
                RecipientOutcome.deferred("two@y.org", "451 4.3.0 Try later"),
                RecipientOutcome.failed("three@y.org", "550 5.1.1 No such user")), now, next));

        QueuedMessage after = store.get(m.id()).orElseThrow();
        assertEquals(State.DELIVERED, stateOf(after, "one@y.org"));
        assertEquals(State.DEFERRED, stateOf(after, "two@y.org"));
        assertEquals(State.FAILED, stateOf(after, "three@y.org"));
        assertEquals("451 4.3.0 Try later", after.recipients().get(1).lastReply());
        assertEquals("550 5.1.1 No such user", after.recipients().get(2).lastReply());
        assertEquals(List.of("two@y.org"), after.pending().stream().map(RecipientState::address).toList());
        assertEquals(1, after.attempts());
        assertEquals(now.toEpochMilli(), after.lastAttempt().toEpochMilli());
        assertEquals(next.toEpochMilli(), after.nextAttempt().toEpochMilli());

        assertEquals(List.of(), store.claimDue(next.minusSeconds(1), 10, LEASE, "B"), "not due before its next attempt");
        QueuedMessage retry = only(store.claimDue(next, 10, LEASE, "B"));
        assertEquals(List.of("two@y.org"), retry.pending().stream().map(RecipientState::address).toList());
        assertArrayEquals(content("hi"), read(store, m.id()));

        assertTrue(store.recordAttempt(m.id(), "B", List.of(RecipientOutcome.delivered("two@y.org", "250 ok")), next, next));
        assertTrue(store.get(m.id()).isEmpty(), "no recipient left to try: the message is gone");
        assertEquals(List.of(), store.list());
        assertThrows(NoSuchElementException.class, () -> store.open(m.id()));
    }

    @Test
    void recipientsNotNamedKeepTheirState() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "one@y.org", "two@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, LEASE, "A"));
        assertTrue(store.recordAttempt(m.id(), "A", List.of(RecipientOutcome.delivered("one@y.org", "250 ok")), now, now));
        QueuedMessage after = store.get(m.id()).orElseThrow();
        assertEquals(State.DELIVERED, stateOf(after, "one@y.org"));
        assertEquals(State.QUEUED, stateOf(after, "two@y.org"));
        only(store.claimDue(now, 10, LEASE, "A")); // recording ended the lease; it is due again
    }

    @Test
    void everyRecipientFailedRemovesTheMessage() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, LEASE, "A"));
        assertTrue(store.recordAttempt(m.id(), "A", List.of(RecipientOutcome.failed("b@y.org", "550 no")), now, now));
        assertTrue(store.get(m.id()).isEmpty());
    }

    @Test
    void flushMakesDeferredWorkDueNow() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, LEASE, "A"));
        store.recordAttempt(m.id(), "A", List.of(RecipientOutcome.deferred("b@y.org", "451 later")), now, now.plusSeconds(4000));
        Instant soon = now.plusSeconds(2);
        assertEquals(List.of(), store.claimDue(soon, 10, LEASE, "A"));

        assertEquals(1, store.flush(soon));

        QueuedMessage due = only(store.claimDue(soon, 10, LEASE, "A"));
        assertEquals(State.DEFERRED, stateOf(due, "b@y.org"), "flush changes when, not what");
    }

    @Test
    void heldMessagesAreNotClaimedUntilReleased() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org", "c@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));

        assertTrue(store.hold(m.id()));

        QueuedMessage held = store.get(m.id()).orElseThrow();
        assertTrue(held.held());
        assertEquals(List.of(State.HELD, State.HELD), held.recipients().stream().map(RecipientState::state).toList());
        assertEquals(List.of(), store.claimDue(now, 10, LEASE, "A"));
        store.flush(now);
        assertEquals(List.of(), store.claimDue(now, 10, LEASE, "A"), "flush does not release");

        assertTrue(store.release(m.id()));

        assertFalse(store.get(m.id()).orElseThrow().held());
        QueuedMessage claimed = only(store.claimDue(now, 10, LEASE, "A"));
        assertEquals(State.QUEUED, stateOf(claimed, "b@y.org"));
    }

    @Test
    void holdingKeepsDeliveredRecipientsDelivered() throws Exception {
        QueueStore store = open();
        QueuedMessage m = store.enqueue(envelope("a@x.org", "b@y.org", "c@y.org"), new ByteArrayInputStream(content("hi")));
        Instant now = later(Duration.ofMillis(1));
        only(store.claimDue(now, 10, LEASE, "A"));
        store.recordAttempt(m.id(), "A", List.of(RecipientOutcome.delivered("b@y.org", "250 ok"),
                RecipientOutcome.deferred("c@y.org", "451 later")), now, now);
        store.hold(m.id());
        QueuedMessage held = store.get(m.id()).orElseThrow();
        assertEquals(State.DELIVERED, stateOf(held, "b@y.org"));
        assertEquals(State.HELD, stateOf(held, "c@y.org"));
        store.release(m.id());
        assertEquals(State.DEFERRED, stateOf(store.get(m.id()).orElseThrow(), "c@y.org"));
    }

    @Test
    void deleteRemovesAMessageEvenWhileLeased() throws Exception {
        QueueStore store = open();
        QueuedMessage keep = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("keep")));
        QueuedMessage gone = store.enqueue(envelope("a@x.org", "b@y.org"), new ByteArrayInputStream(content("gone")));
        Instant now = later(Duration.ofMillis(1));
        store.claimDue(now, 10, LEASE, "A");

        assertTrue(store.delete(gone.id()));

        assertTrue(store.get(gone.id()).isEmpty());
        assertEquals(List.of(keep.id()), store.list().stream().map(QueuedMessage::id).toList());
        assertFalse(store.renew(gone.id(), "A", now.plusSeconds(60)));
        assertFalse(store.recordAttempt(gone.id(), "A", List.of(RecipientOutcome.deferred("b@y.org", "451")), now, now));
        assertTrue(store.get(gone.id()).isEmpty(), "a record after a delete brings nothing back");
        assertFalse(store.delete(gone.id()));
    }

    @Test
    void aRestartSeesEverythingAndLeasesEnd() throws Exception {
        QueueStore store = open();
        QueuedMessage a = store.enqueue(envelope("a@x.org", "one@y.org", "two@y.org"), new ByteArrayInputStream(content("first")));
        QueuedMessage b = store.enqueue(envelope("", "c@y.org"), new ByteArrayInputStream(content("second")));
        QueuedMessage c = store.enqueue(envelope("a@x.org", "d@y.org"), new ByteArrayInputStream(content("third")));
        Instant now = later(Duration.ofMillis(1));
        store.claimDue(now, 10, LEASE, "A");
        store.recordAttempt(a.id(), "A", List.of(RecipientOutcome.delivered("one@y.org", "250 ok"),
                RecipientOutcome.deferred("two@y.org", "451 4.4.1 down")), now, now.plusSeconds(4000));
        store.hold(c.id());
        store.close();

        QueueStore again = open();

        assertEquals(List.of(a.id(), b.id(), c.id()), again.list().stream().map(QueuedMessage::id).toList());
        QueuedMessage ra = again.get(a.id()).orElseThrow();
        assertEquals(State.DELIVERED, stateOf(ra, "one@y.org"));
        assertEquals(State.DEFERRED, stateOf(ra, "two@y.org"));
        assertEquals("451 4.4.1 down", ra.recipients().get(1).lastReply());
        assertEquals(1, ra.attempts());
        assertEquals(now.plusSeconds(4000).toEpochMilli(), ra.nextAttempt().toEpochMilli());
        assertTrue(again.get(c.id()).orElseThrow().held());
        assertArrayEquals(content("first"), read(again, a.id()));
        assertArrayEquals(content("second"), read(again, b.id()));
        assertEquals(a.arrival().toEpochMilli(), ra.arrival().toEpochMilli());

        // b was claimed by A and never recorded: A's process is gone; after the lease the work is due again
        QueuedMessage rb = only(again.claimDue(now.plus(LEASE).plusSeconds(1), 10, LEASE, "B"));
        assertEquals(b.id(), rb.id());
    }

    @Test
    void enqueuesClaimsAndRecordsRunningAtOnceLoseNothing() throws Exception {
        QueueStore store = open();
        int n = 60;
        Set<String> delivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicInteger enqueued = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                int first = p * (n / 2);
                tasks.add(pool.submit(() -> {
                    for (int i = first; i < first + n / 2; i++) {
                        store.enqueue(envelope("s" + i + "@x.org", "r" + i + "@y.org", "q" + i + "@y.org"),
                                new ByteArrayInputStream(content("content " + i)));
                        enqueued.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (int w = 0; w < 2; w++) {
                String owner = "worker-" + w;
                tasks.add(pool.submit(() -> {
                    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (delivered.size() < n && System.nanoTime() < end) {
                        for (QueuedMessage m : store.claimDue(later(Duration.ofSeconds(1)), 5, LEASE, owner)) {
                            String i = m.sender().substring(1, m.sender().indexOf('@'));
                            if (!new String(read(store, m.id()), StandardCharsets.UTF_8).equals("content " + i)) {
                                problems.add(m.id() + " has the wrong content");
                            }
                            // one recipient per attempt: the message goes through two records, the last removes it
                            String next = m.pending().get(0).address();
                            if (!store.recordAttempt(m.id(), owner, List.of(RecipientOutcome.delivered(next, "250 ok")),
                                    Instant.now(), Instant.now())) {
                                problems.add(m.id() + ": a record under its own lease refused");
                            }
                            if (m.pending().size() == 1 && !delivered.add(m.id())) {
                                problems.add(m.id() + " finished twice");
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : tasks) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), problems);
        assertEquals(n, enqueued.get());
        assertEquals(n, delivered.size());
        assertEquals(List.of(), store.list());
    }

    @Test
    void hasRoomForASmallMessage() throws Exception {
        QueueStore store = open();
        assertTrue(store.hasRoom(1024));
    }
}
