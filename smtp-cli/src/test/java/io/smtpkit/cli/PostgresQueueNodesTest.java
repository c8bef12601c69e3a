package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.Tools;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's durability test on PostgreSQL: two smtpkit nodes, each a JVM of its own, in queue
 * mode on one database with the upstream down; mail is sent to both, one node is killed with
 * SIGKILL (also while it is receiving), the upstream comes up, and the surviving node alone must
 * deliver every message either node answered 250, whole, and nothing that was not sent whole.
 */
class PostgresQueueNodesTest {

    private static final Pattern MESSAGE_ID = Pattern.compile("Message-ID: <(\\d+)@nodes\\.test>");

    @TempDir
    Path dir;

    private String base;
    private String schema;
    private String url;
    private SmtpServer upstream;
    private final List<ServerProcess> nodes = new ArrayList<>();

    /** What each message was sent with, by number. */
    private final Map<Integer, Sent> sent = new ConcurrentHashMap<>();
    /** The numbers of the messages that got 250. */
    private final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    /** What reached the upstream: recipients and octets per delivery. */
    private final List<Delivery> delivered = new CopyOnWriteArrayList<>();

    private record Sent(List<String> recipients, String content) {}

    private record Delivery(List<String> recipients, String content) {}

    @BeforeEach
    void database() throws Exception {
        base = System.getenv("SMTPKIT_TEST_POSTGRES");
        if (base == null || base.isBlank()) {
            Tools.unavailable("SMTPKIT_TEST_POSTGRES is not set (bash scripts/postgres-test-db.sh start prints its value)");
        }
        schema = "nodes_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        url = base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (ServerProcess n : nodes) {
            n.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(base); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }

    private ServerProcess node(int upstreamPort) throws Exception {
        ServerProcess n = ServerProcess.start(dir, List.of("-Xmx128m"), "-l", "127.0.0.1:0", "-c", "relay",
                "-o", "upstream=127.0.0.1:" + upstreamPort, "-o", "queue=" + url,
                "-o", "retry-min=1s", "-o", "retry-max=1s", "-o", "timeout-connect=2s",
                // a killed node's claims return after 6 s, not the default 2 minutes
                "-o", "queue-lease=6s");
        nodes.add(n);
        return n;
    }

    @Test
    @Timeout(120)
    void aKilledNodesMailIsDeliveredByTheOther() throws Exception {
        int upstreamPort = freePort();
        ServerProcess a = node(upstreamPort);
        ServerProcess b = node(upstreamPort);

        // Both nodes take mail while the upstream is down: it waits in the database.
        for (int i = 0; i < 24; i++) {
            send(i % 2 == 0 ? a : b, i);
        }
        assertEquals(24, acknowledged.size(), "every message before the kill answered 250");

        // More mail to a, and a killed while it receives: some may get no 250, any may be half sent.
        AtomicBoolean stop = new AtomicBoolean();
        Thread sender = new Thread(() -> {
            for (int i = 1000; !stop.get(); i++) {
                try {
                    send(a, i);
                } catch (IOException | AssertionError gone) {
                    return;
                }
            }
        }, "sender-to-a");
        sender.start();
        Eventually.await(() -> acknowledged.size() >= 30, Duration.ofSeconds(60), "six more messages acknowledged by a");
        a.close(); // SIGKILL: no shutdown hook, no lease given back
        stop.set(true);
        sender.join(30_000);
        assertTrue(!a.isAlive() || waitDead(a), "a is dead");

        upstream = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", upstreamPort))
                .config(SessionConfig.builder().hostname("upstream.test").build()).receivedHeader(false)
                .handler((session, envelope, message) -> {
                    delivered.add(new Delivery(List.copyOf(envelope.recipientAddresses()), new String(message.bytes(), StandardCharsets.UTF_8)));
                    return null;
                }).build().start();

        // b alone delivers: its own mail, a's queued mail, and (after their lease) what a was delivering.
        Eventually.await(() -> missing().isEmpty(), Duration.ofSeconds(60), "every acknowledged recipient delivered");
        assertTrue(missing().isEmpty(), () -> "missing: " + missing());

        for (Delivery d : delivered) {
            Matcher id = MESSAGE_ID.matcher(d.content());
            assertTrue(id.find(), () -> "a delivery that is no message sent: " + d.content());
            Sent original = sent.get(Integer.parseInt(id.group(1)));
            assertTrue(d.content().endsWith(original.content()), () -> "a partial or altered delivery of " + id.group(1));
            assertTrue(d.content().startsWith("Received: "), "the node's trace header, then the message");
            assertTrue(original.recipients().containsAll(d.recipients()), "no recipient it was not sent to");
        }
        assertTrue(b.isAlive(), "b still runs");
        assertNoPassword(a);
        assertNoPassword(b);
        System.out.printf("two nodes: %d messages sent, %d acknowledged, %d deliveries (%d of messages never acknowledged)%n",
                sent.size(), acknowledged.size(), delivered.size(),
                delivered.stream().filter(d -> !acknowledged.contains(number(d))).count());
    }

    private static int number(Delivery d) {
        Matcher id = MESSAGE_ID.matcher(d.content());
        return id.find() ? Integer.parseInt(id.group(1)) : -1;
    }

    /** The queue command on the live queue of a running node, through libpq's URL form, and nothing of the password shown. */
    @Test
    void theQueueCommandWorksOnTheDatabaseWhileANodeRuns() throws Exception {
        ServerProcess a = node(freePort()); // its upstream never comes: everything stays deferred
        send(a, 1);
        send(a, 2);
        String libpq = libpqUrl();
        CliHarness cli = new CliHarness();
        try {
            Pattern deferred = Pattern.compile("(?s).*<rcpt0-1@example\\.net>  deferred  451 .*");
            String listing = Eventually.poll(() -> cli.run("queue", "list", "--queue", libpq).out(),
                    out -> deferred.matcher(out).matches(), Duration.ofSeconds(30));
            assertTrue(deferred.matcher(listing).matches(), listing);
            assertTrue(listing.contains("<rcpt1-1@example.net>"), listing);
            assertTrue(listing.contains("from <sender@example.org>"), listing);
            assertTrue(listing.contains("-- 2 message(s)"), listing);
            List<String> ids = listing.lines().filter(l -> !l.startsWith(" ") && !l.startsWith("--"))
                    .map(l -> l.substring(0, l.indexOf(' '))).toList();
            assertEquals(2, ids.size(), listing);

            CliHarness.Result held = cli.run("queue", "hold", ids.get(0), "--queue", url);
            assertEquals(Main.OK, held.exitCode(), held.err());
            assertTrue(cli.run("queue", "list", "--queue", url).out().contains(ids.get(0) + "  "), "still listed");
            assertTrue(cli.run("queue", "show", ids.get(0), "--queue", url).out().contains("held: yes"));
            assertEquals(Main.OK, cli.run("queue", "delete", ids.get(1), "--queue", url).exitCode());
            String after = cli.run("queue", "list", "--queue", url).out();
            assertTrue(after.contains("-- 1 message(s)") && after.contains("HELD") && !after.contains(ids.get(1)), after);
            assertTrue(cli.run("queue", "flush", "--queue", url).out().startsWith("flushed: 0"), "a held message is not flushed");

            String secret = libpq.replaceFirst("(//[^:/]+:)[^@]*@", "$1wrong-secret@");
            CliHarness.Result refused = cli.run("queue", "list", "--queue", secret);
            String shown = refused.out() + refused.err();
            assertEquals(Main.FAILURE, refused.exitCode(), shown);
            assertTrue(shown.contains("***") && !shown.contains("wrong-secret"), "the password is never shown: " + shown);
        } finally {
            cli.close();
        }
        assertNoPassword(a);
    }

    /** What a node printed (its start, the store it opened, its delivery failures) never holds the URL's password. */
    private void assertNoPassword(ServerProcess node) throws IOException {
        Matcher m = Pattern.compile("[?&]password=([^&]+)").matcher(base);
        assertTrue(m.find(), "the test URL carries a password: " + base.replaceAll("password=[^&]*", "password=***"));
        String printed = node.stdoutText() + node.stderrText();
        assertTrue(printed.contains("password=***"), "the URL is shown masked: " + printed);
        assertTrue(!printed.contains("password=" + m.group(1)), "the password shown: " + printed);
    }

    @Test
    void aNodeThatCannotOpenItsQueueSaysWhyWithoutThePassword() {
        String wrong = libpqUrl().replaceFirst("(//[^:/]+:)[^@]*@", "$1wrong-secret@");
        CliHarness cli = new CliHarness();
        try {
            CliHarness.Result r = cli.run("-l", "127.0.0.1:0", "-c", "relay", "-o", "upstream=127.0.0.1:1", "-o", "queue=" + wrong);
            String line = r.assertUsageError();
            assertTrue(line.contains("password authentication failed") && !line.contains("wrong-secret"), line);
            assertTrue(line.contains(":***@"), line);
        } finally {
            cli.close();
        }
    }

    /** {@code SMTPKIT_TEST_POSTGRES} (pgjdbc's form) in libpq's form, user and password before the host. */
    private String libpqUrl() {
        Matcher m = Pattern.compile("jdbc:postgresql://([^/]+)/([^?]+)\\?(.*)").matcher(base);
        assertTrue(m.matches(), base);
        String user = null;
        String password = null;
        List<String> rest = new ArrayList<>();
        for (String p : m.group(3).split("&")) {
            if (p.startsWith("user=")) {
                user = p.substring(5);
            } else if (p.startsWith("password=")) {
                password = p.substring(9);
            } else {
                rest.add(p);
            }
        }
        rest.add("currentSchema=" + schema);
        return "postgresql://" + user + ":" + password + "@" + m.group(1) + "/" + m.group(2) + "?" + String.join("&", rest);
    }

    /** Acknowledged (number, recipient) pairs no delivery carried yet. */
    private List<String> missing() {
        List<String> m = new ArrayList<>();
        for (int n : acknowledged) {
            Sent s = sent.get(n);
            for (String r : s.recipients()) {
                boolean done = delivered.stream().anyMatch(d -> d.recipients().contains(r) && d.content().endsWith(s.content()));
                if (!done) {
                    m.add(n + ":" + r);
                }
            }
        }
        return m;
    }

    /** Sends message {@code n} (one to three recipients, some KiB) and records whether it got 250. */
    private void send(ServerProcess node, int n) throws IOException {
        List<String> recipients = new ArrayList<>();
        for (int r = 0; r <= n % 3; r++) {
            recipients.add("rcpt" + r + "-" + n + "@example.net");
        }
        StringBuilder content = new StringBuilder("Message-ID: <" + n + "@nodes.test>\r\nSubject: message " + n + "\r\n\r\n");
        for (int line = 0; line < 40 + n % 7 * 30; line++) {
            content.append("line ").append(line).append(" of message ").append(n).append(": ").append("abcdefghij".repeat(6)).append("\r\n");
        }
        String text = content.toString();
        sent.put(n, new Sent(recipients, text));
        try (SmtpClient c = SmtpClient.connect(node.address)) {
            c.deadline(Duration.ofSeconds(10));
            expect(c.reply(), "220");
            expect(c.command("EHLO client.example"), "250");
            expect(c.command("MAIL FROM:<sender@example.org>"), "250");
            for (String r : recipients) {
                expect(c.command("RCPT TO:<" + r + ">"), "250");
            }
            expect(c.command("DATA"), "354");
            byte[] octets = text.getBytes(StandardCharsets.UTF_8);
            int half = octets.length / 2;
            c.send(java.util.Arrays.copyOfRange(octets, 0, half)); // in two writes: a kill may fall between
            c.send(java.util.Arrays.copyOfRange(octets, half, octets.length));
            c.send(".\r\n");
            String reply = c.reply();
            if (reply.startsWith("250")) {
                acknowledged.add(n);
            }
            expect(reply, "250");
        }
    }

    private static void expect(String reply, String code) throws IOException {
        if (!reply.startsWith(code)) {
            throw new IOException("expected " + code + ", got " + reply);
        }
    }

    private static boolean waitDead(ServerProcess p) throws InterruptedException {
        Eventually.await(() -> !p.isAlive(), Duration.ofSeconds(10), "the killed node ends");
        return true;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
