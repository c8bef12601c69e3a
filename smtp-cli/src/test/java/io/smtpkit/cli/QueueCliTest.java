package io.smtpkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.Eventually;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smtpkit queue ...} against a live queue: a relay in queue mode serving in this JVM (so
 * the command goes through the running server's request files) with its next hop down, then up.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class QueueCliTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Pattern QUEUED = Pattern.compile("250 2\\.0\\.0 Ok: queued as (\\w+)");

    @TempDir
    Path dir;

    private final CliHarness cli = new CliHarness();
    private final List<String> delivered = new CopyOnWriteArrayList<>();
    private SmtpServer upstream;

    @AfterEach
    void close() {
        cli.close();
        if (upstream != null) {
            upstream.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void startUpstream(int port) throws IOException {
        upstream = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", port))
                .config(SessionConfig.builder().hostname("upstream.test").build()).receivedHeader(false)
                .handler((session, envelope, message) -> {
                    delivered.add(envelope.recipientAddresses() + " " + new String(message.bytes(), StandardCharsets.UTF_8));
                    return null;
                }).build().start();
    }

    private String queue() {
        return dir.resolve("q").toString();
    }

    private CliHarness.Serving relay(int upstreamPort) {
        return cli.serve("-c", "relay", "-l", "127.0.0.1:0", "-o", "upstream=127.0.0.1:" + upstreamPort,
                "-o", "queue=" + queue(), "-o", "queue-reserve=0", "-o", "retry-min=1h", "-o", "retry-max=2h");
    }

    private static String send(CliHarness.Serving relay, String from, String subject, String... to) throws IOException {
        try (SmtpClient c = SmtpClient.connect(relay.address())) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.test");
            assertTrue(c.command("MAIL FROM:<" + from + ">").startsWith("250"));
            for (String r : to) {
                assertTrue(c.command("RCPT TO:<" + r + ">").startsWith("250"));
            }
            assertTrue(c.command("DATA").startsWith("354"));
            c.send("Subject: " + subject + "\r\n\r\nbody of " + subject + "\r\n.\r\n");
            String reply = c.reply();
            Matcher m = QUEUED.matcher(reply);
            assertTrue(m.matches(), reply);
            return m.group(1);
        }
    }

    private CliHarness.Result q(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "queue";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--queue";
        all[args.length + 2] = queue();
        return cli.run(all);
    }

    private String listed() {
        CliHarness.Result r = q("list");
        assertEquals(Main.OK, r.exitCode(), r.err());
        return r.out();
    }

    @Test
    void listShowHoldReleaseDeleteAndFlushWhileTheServerRuns() throws Exception {
        int port = freePort(); // nothing listens there yet: every attempt is deferred
        CliHarness.Serving relay = relay(port);
        String a = send(relay, "alice@example.org", "first", "bob@example.net", "carol@example.net");
        String b = send(relay, "dave@example.org", "second", "erin@example.net");
        // three recipients deferred: each message had its first attempt
        String list = Eventually.poll(this::listed, l -> l.split("  deferred  451 4.4.1", -1).length == 4, WAIT);

        assertTrue(list.contains(a + "  ") && list.contains(b + "  "), list);
        assertTrue(list.contains("from <alice@example.org>") && list.contains("from <dave@example.org>"), list);
        assertTrue(list.contains("<bob@example.net>  deferred  451 4.4.1"), list);
        assertTrue(list.contains("<carol@example.net>  deferred"), list);
        assertTrue(list.contains("<erin@example.net>  deferred"), list);
        assertTrue(list.matches("(?s).*" + a + "  \\d+s  \\d+ bytes.*"), "age and size: " + list);
        assertTrue(list.contains("-- 2 message(s)"), list);

        CliHarness.Result show = q("show", a);
        assertEquals(Main.OK, show.exitCode(), show.err());
        assertTrue(show.out().contains("sender: <alice@example.org>"), show.out());
        assertTrue(show.out().contains("Subject: first\r\n\r\nbody of first\r\n"), show.out());

        assertEquals(Main.OK, q("hold", b).exitCode());
        String held = listed();
        assertTrue(held.contains(b + "  ") && held.contains("HELD") && held.contains("<erin@example.net>  held"), held);

        assertEquals(Main.OK, q("delete", a).exitCode());
        assertFalse(listed().contains(a), "deleted");
        assertEquals(Main.FAILURE, q("show", a).exitCode());

        startUpstream(port);
        CliHarness.Result flush = q("flush");
        assertEquals(Main.OK, flush.exitCode(), flush.err());
        assertEquals("flushed: 0 message(s) due now", flush.out().strip());
        // b is held, so flushing has nothing to make due; released, it is due at once
        assertEquals(Main.OK, q("release", b).exitCode());
        Eventually.await(() -> delivered.size() == 1, WAIT, "the released message delivered");
        assertTrue(delivered.get(0).startsWith("[erin@example.net] Received:"), delivered.get(0));
        assertTrue(delivered.get(0).endsWith("Subject: second\r\n\r\nbody of second\r\n"), delivered.get(0));
        assertEquals("the queue is empty", Eventually.poll(() -> listed().strip(), l -> l.equals("the queue is empty"), WAIT));
    }

    @Test
    void flushMakesADeferredMessageDueInARunningServer() throws Exception {
        int port = freePort();
        CliHarness.Serving relay = relay(port);
        String id = send(relay, "alice@example.org", "later", "bob@example.net");
        Eventually.poll(this::listed, l -> l.contains("451 4.4.1"), WAIT);
        startUpstream(port);
        // retry-min=1h: without the flush nothing would be tried again within this test
        CliHarness.Result flush = q("flush");

        assertEquals(Main.OK, flush.exitCode(), flush.err());
        assertEquals("flushed: 1 message(s) due now", flush.out().strip());
        Eventually.await(() -> delivered.size() == 1, WAIT, "delivered after the flush");
        assertTrue(delivered.get(0).endsWith("Subject: later\r\n\r\nbody of later\r\n"), delivered.get(0));
        assertFalse(Eventually.poll(this::listed, l -> !l.contains(id), WAIT).contains(id));
    }

    @Test
    void theCommandWorksOnAQueueNoServerRuns() throws Exception {
        int port = freePort();
        CliHarness.Serving relay = relay(port);
        String id = send(relay, "alice@example.org", "stopped", "bob@example.net");
        relay.started().close();

        assertTrue(listed().contains(id + "  "));
        assertEquals(Main.OK, q("hold", id).exitCode());
        assertTrue(listed().contains("HELD"));
        assertEquals(Main.OK, q("release", id).exitCode());
        assertEquals(Main.OK, q("flush").exitCode());
        assertEquals(Main.OK, q("delete", id).exitCode());
        assertEquals("the queue is empty", listed().strip());
    }

    @Test
    void badInputIsOneLine() {
        relay(1);
        assertEquals(Main.USAGE, q("frobnicate").exitCode());
        assertTrue(q("frobnicate").err().contains("unknown action"));
        assertEquals(Main.USAGE, q("delete").exitCode(), "delete needs an ID");
        assertEquals(Main.USAGE, q("list", "X").exitCode(), "list takes none");
        CliHarness.Result missing = q("hold", "NOSUCHID");
        assertEquals(Main.FAILURE, missing.exitCode());
        assertTrue(missing.err().contains("no message NOSUCHID"), missing.err());
        CliHarness.Result noQueue = cli.run("queue", "list", "--queue", dir.resolve("nothing").toString());
        assertEquals(Main.FAILURE, noQueue.exitCode());
        assertTrue(noQueue.err().startsWith("smtpkit: queue: no queue in"), noQueue.err());
        assertEquals(Main.USAGE, cli.run("queue", "list").exitCode(), "--queue is required");
    }
}
