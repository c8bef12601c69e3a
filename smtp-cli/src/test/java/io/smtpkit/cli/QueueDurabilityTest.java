package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue's promise, for real (issue #11): the relay in queue mode runs in its own JVM and is
 * killed with SIGKILL at random moments, while clients send (some messages large enough to be
 * cut in the middle of their data) and, once the next hop is up, while it delivers. After the
 * last restart every message that got a 250 must have reached each of its recipients at least
 * once with its octets intact, and everything that arrived must be the whole of a message that
 * was sent: never a part of one.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class QueueDurabilityTest {

    private static final Pattern QUEUED = Pattern.compile("250 2\\.0\\.0 Ok: queued as \\w+");
    private static final Pattern TEST_ID = Pattern.compile("X-Test: (\\d+)\r\n");
    private static final int PER_ROUND = 16;

    @TempDir
    Path dir;

    private final Random random = new Random();
    private final Map<Integer, byte[]> sent = new ConcurrentHashMap<>();
    private final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    private final List<Delivery> delivered = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextId = new AtomicInteger();
    private ServerProcess relay;
    private SmtpServer upstream;

    record Delivery(List<String> recipients, byte[] content) {}

    @AfterEach
    void close() {
        if (relay != null) {
            relay.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private ServerProcess startRelay(int upstreamPort) throws Exception {
        return ServerProcess.start(dir, List.of("-Xmx256m"), "-c", "relay", "-l", "127.0.0.1:0",
                "--max-connection-rate", "0", "--max-connections-per-client", "0", "-s", "8388608",
                "-o", "upstream=127.0.0.1:" + upstreamPort, "-o", "queue=" + dir.resolve("queue"),
                "-o", "queue-reserve=0", "-o", "retry-min=1s", "-o", "retry-max=1s", "-o", "queue-workers=4");
    }

    private static List<String> recipientsOf(int id) {
        return id % 3 == 0 ? List.of("a" + id + "@example.net", "b" + id + "@example.net", "c" + id + "@example.net")
                : List.of("r" + id + "@example.net");
    }

    /** A message that says which it is; large ones take long enough to receive and to write that a kill lands inside. */
    private static byte[] message(int id, boolean large) {
        Random r = new Random(id);
        int size = large ? 3_000_000 + r.nextInt(3_000_000) : 200 + r.nextInt(20_000);
        byte[] raw = new byte[size * 3 / 4];
        r.nextBytes(raw);
        String body = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(raw);
        return ("Message-ID: <" + id + "@durability.test>\r\nX-Test: " + id + "\r\nSubject: message " + id
                + "\r\n\r\n" + body + "\r\n.leading dot line\r\nend of " + id + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private void sendOne(InetSocketAddress address, int id, boolean large) {
        byte[] content = message(id, large);
        sent.put(id, content);
        try (SmtpClient c = SmtpClient.connect(address)) {
            c.reply();
            c.command("EHLO client.test");
            if (!c.command("MAIL FROM:<sender" + id + "@example.org>").startsWith("250")) {
                return;
            }
            for (String r : recipientsOf(id)) {
                if (!c.command("RCPT TO:<" + r + ">").startsWith("250")) {
                    return;
                }
            }
            if (!c.command("DATA").startsWith("354")) {
                return;
            }
            String text = new String(content, StandardCharsets.US_ASCII).replace("\r\n.", "\r\n..");
            c.send(text.getBytes(StandardCharsets.US_ASCII));
            c.send(".\r\n");
            if (QUEUED.matcher(c.reply()).matches()) {
                acknowledged.add(id);
            }
        } catch (IOException | RuntimeException | AssertionError killed) {
            // the relay died under this client: no 250, so the message is the client's to send again
        }
    }

    /**
     * Clients send a batch while the relay is killed: at a random moment (one message in four
     * large), or ({@code atEnqueue}, every message large) the moment a new message file shows in
     * the queue's directories, which is while the relay writes it.
     */
    private void sendAndKill(int upstreamPort, boolean atEnqueue) throws Exception {
        relay = startRelay(upstreamPort);
        Set<Path> before = messageFiles();
        InetSocketAddress address = relay.address;
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            int last = nextId.get() + PER_ROUND;
            for (int t = 0; t < 4; t++) {
                clients.execute(() -> {
                    int id;
                    while ((id = nextId.getAndIncrement()) < last) {
                        sendOne(address, id, atEnqueue || id % 4 == 0);
                    }
                });
            }
            if (atEnqueue) {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                // no sleep here: the write of a message takes milliseconds, and the kill must land in them
                while (before.containsAll(messageFiles()) && System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
            } else {
                Thread.sleep(300 + random.nextInt(2200)); // the random moment of the kill, not a wait for a condition
            }
            relay.close();
            assertTrue(relay.awaitDeath(Duration.ofSeconds(10)), "SIGKILL ended the relay");
        } finally {
            clients.shutdown();
            assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS));
        }
    }

    private void startUpstream(int port) throws IOException {
        upstream = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", port))
                .config(SessionConfig.builder().hostname("upstream.test").maxMessageSize(16 << 20).build())
                .receivedHeader(false).maxConnectionRatePerClient(0).maxConnectionsPerClient(0)
                .handler((session, envelope, message) -> {
                    delivered.add(new Delivery(envelope.recipientAddresses(), message.bytes()));
                    Thread.sleep(20); // a next hop that takes its time, so the kill can land mid-delivery
                    return null;
                }).build().start();
    }

    /** Every message file in the disk queue's directories, being written or in place, whatever the layout inside. */
    private Set<Path> messageFiles() throws IOException {
        Path queue = dir.resolve("queue");
        if (!Files.isDirectory(queue)) {
            return Set.of();
        }
        try (Stream<Path> files = Files.walk(queue)) {
            return files.filter(p -> p.toString().endsWith(".msg")).collect(java.util.stream.Collectors.toSet());
        } catch (java.io.UncheckedIOException | java.nio.file.NoSuchFileException vanished) {
            return Set.of(); // a file renamed or removed during the walk; the next look sees it
        }
    }

    private long queuedFiles() throws IOException {
        Path active = dir.resolve("queue").resolve("active");
        if (!Files.isDirectory(active)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(active)) {
            return files.filter(p -> p.toString().endsWith(".msg")).count();
        }
    }

    private boolean everyAcknowledgedRecipientReached() {
        for (int id : acknowledged) {
            for (String r : recipientsOf(id)) {
                if (delivered.stream().noneMatch(d -> d.recipients().contains(r))) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void noAcknowledgedMessageIsLostAndNothingPartialArrivesAcrossKills() throws Exception {
        int upstreamPort = freePort(); // down while the clients send
        for (int round = 0; round < 5; round++) {
            sendAndKill(upstreamPort, round % 2 == 1 || round == 4);
        }
        relay = startRelay(upstreamPort);
        for (int id = nextId.get(), end = id + 6; id < end; id++) {
            sendOne(relay.address, id, id % 4 == 0); // some sent with no kill at all
        }
        nextId.addAndGet(6);
        relay.close();
        assertTrue(relay.awaitDeath(Duration.ofSeconds(10)));
        assertTrue(acknowledged.size() >= 6, "acknowledged: " + acknowledged);

        startUpstream(upstreamPort);
        relay = startRelay(upstreamPort);
        Eventually.await(() -> !delivered.isEmpty(), Duration.ofSeconds(30), "deliveries started");
        Thread.sleep(random.nextInt(300)); // a random moment in the middle of the deliveries
        relay.close();
        assertTrue(relay.awaitDeath(Duration.ofSeconds(10)));
        int beforeLastKill = delivered.size();

        relay = startRelay(upstreamPort);
        Eventually.await(() -> {
            try {
                return everyAcknowledgedRecipientReached() && queuedFiles() == 0;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(60), "every acknowledged message delivered and the queue empty; acknowledged "
                + acknowledged.size() + ", deliveries " + delivered.size());

        for (Delivery d : delivered) {
            String text = new String(d.content(), StandardCharsets.US_ASCII);
            Matcher m = TEST_ID.matcher(text);
            assertTrue(m.find(), "a delivery that is none of the messages sent: " + text.substring(0, Math.min(300, text.length())));
            int id = Integer.parseInt(m.group(1));
            byte[] expected = sent.get(id);
            assertTrue(text.startsWith("Received: "), "only the relay's trace header in front");
            byte[] tail = Arrays.copyOfRange(d.content(), Math.max(0, d.content().length - expected.length), d.content().length);
            assertTrue(Arrays.equals(expected, tail), "message " + id + " arrived whole, every octet as sent ("
                    + d.content().length + " octets for " + expected.length + " sent)");
            assertTrue(recipientsOf(id).containsAll(d.recipients()), "message " + id + " went only to its recipients");
        }
        int duplicates = delivered.size() - (int) delivered.stream().map(d -> d.recipients().get(0)).distinct().count();
        System.out.println("durability: sent " + sent.size() + ", acknowledged " + acknowledged.size() + ", deliveries "
                + delivered.size() + " (" + beforeLastKill + " before the last kill, " + duplicates + " repeated)");
        assertEquals(0, queuedFiles());
    }
}
