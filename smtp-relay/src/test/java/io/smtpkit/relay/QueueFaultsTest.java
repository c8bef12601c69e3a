package io.smtpkit.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.relay.queue.DiskQueueStore;
import io.smtpkit.relay.queue.QueueConfig;
import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueueStores;
import io.smtpkit.relay.queue.QueuedEnvelope;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.relay.queue.RecipientOutcome;
import io.smtpkit.relay.queue.RecipientState;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.Eventually;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The queue runner when its store or its next hop misbehaves (found in review). */
@Timeout(60)
class QueueFaultsTest {

    @TempDir
    Path dir;

    private static QueuedEnvelope envelope(String... recipients) {
        List<QueuedEnvelope.Recipient> r = new ArrayList<>();
        for (String address : recipients) {
            r.add(new QueuedEnvelope.Recipient(address, Map.of()));
        }
        return new QueuedEnvelope("alice@example.org", Map.of(), r);
    }

    private static InputStream content(String subject) {
        return new ByteArrayInputStream(("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aNotificationThatCannotBeQueuedStillRecordsTheDeliveredRecipients() throws Exception {
        QueueModeTest.Next next = new QueueModeTest.Next();
        try (SmtpServer up = Upstreams.start(next, c -> c, b -> b)) {
            RelayConfig config = RelayConfig.builder().upstream(new NextHop("127.0.0.1", up.port())).build();
            QueueStore store = new NoRoomForNotifications(DiskQueueStore.open(dir.resolve("q"), new DiskQueueStore.Reserve(0, 0)));
            QueueConfig retries = new QueueConfig(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofDays(5), null, 2,
                    Duration.ofSeconds(3));
            try (QueuedRelayHandler handler = new QueuedRelayHandler(config, store, retries)) {
                QueuedMessage m = store.enqueue(envelope("ok@example.net", "refuse@example.net"), content("t"));
                // Without the record, ok@ was delivered again at every lease's end (4 times in 11 s).
                Eventually.await(() -> state(store, m.id(), "ok@example.net") == RecipientState.State.DELIVERED,
                        Duration.ofSeconds(20), "the delivered recipient recorded");
                assertEquals(1, next.to("ok@example.net").size());
                RecipientState.State refused = state(store, m.id(), "refuse@example.net");
                assertTrue(refused == RecipientState.State.DEFERRED || refused == RecipientState.State.QUEUED,
                        "the refused recipient waits, so its notification is tried again: " + refused);
            }
        }
    }

    @Test
    void theQueueCommandIsAnsweredWhileEveryWorkerWaitsOnANextHop() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread accepting = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // and never greet
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            accepting.setDaemon(true);
            accepting.start();
            Map<String, String> o = new HashMap<>();
            o.put("upstream", "127.0.0.1:" + silent.getLocalPort());
            o.put("queue", dir.resolve("q").toString());
            o.put("queue-reserve", "0");
            o.put("queue-workers", "1");
            try (QueuedRelayHandler handler = (QueuedRelayHandler) new RelayProvider().create(o)) {
                QueueStore store = handler.store();
                store.enqueue(envelope("bob@example.net"), content("1"));
                Eventually.await(() -> !held.isEmpty(), Duration.ofSeconds(10), "the one worker waits for a greeting");
                QueuedMessage second = store.enqueue(envelope("bob@example.net"), content("2"));
                try (QueueStore command = QueueStores.inspect(dir.resolve("q").toString())) {
                    assertTrue(command.hold(second.id()), "hold, carried out by the running server");
                }
                assertTrue(store.get(second.id()).orElseThrow().held());
                silent.close();
                for (Socket s : held) {
                    s.close(); // the worker fails at once, so closing the handler need not wait for it
                }
            }
        }
    }

    private static RecipientState.State state(QueueStore store, String id, String address) {
        try {
            return store.get(id).orElseThrow().recipients().stream().filter(r -> r.address().equals(address))
                    .findFirst().orElseThrow().state();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A disk store that refuses to queue notifications (from {@code <>}), as a full disk would. */
    private static final class NoRoomForNotifications implements QueueStore {
        private final QueueStore store;

        NoRoomForNotifications(QueueStore store) {
            this.store = store;
        }

        @Override
        public QueuedMessage enqueue(QueuedEnvelope envelope, InputStream content) throws IOException {
            if (envelope.isBounce()) {
                throw new IOException("no room for the notification");
            }
            return store.enqueue(envelope, content);
        }

        @Override
        public List<QueuedMessage> claimDue(Instant now, int max, Duration lease, String owner) throws IOException {
            return store.claimDue(now, max, lease, owner);
        }

        @Override
        public boolean renew(String id, String owner, Instant until) throws IOException {
            return store.renew(id, owner, until);
        }

        @Override
        public InputStream open(String id) throws IOException {
            return store.open(id);
        }

        @Override
        public boolean recordAttempt(String id, String owner, List<RecipientOutcome> outcomes, Instant now, Instant next)
                throws IOException {
            return store.recordAttempt(id, owner, outcomes, now, next);
        }

        @Override
        public List<QueuedMessage> list() throws IOException {
            return store.list();
        }

        @Override
        public Optional<QueuedMessage> get(String id) throws IOException {
            return store.get(id);
        }

        @Override
        public int flush(Instant now) throws IOException {
            return store.flush(now);
        }

        @Override
        public boolean delete(String id) throws IOException {
            return store.delete(id);
        }

        @Override
        public boolean hold(String id) throws IOException {
            return store.hold(id);
        }

        @Override
        public boolean release(String id) throws IOException {
            return store.release(id);
        }

        @Override
        public boolean hasRoom(long size) throws IOException {
            return store.hasRoom(size);
        }

        @Override
        public void close() throws IOException {
            store.close();
        }
    }
}
