package io.smtpkit.server;

import static io.smtpkit.server.TestSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.testsupport.SmtpClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/**
 * {@link ConnectionTap} over real sockets: each callback is made where its Javadoc says, and each
 * {@link TapAction} does what it promises to a raw client. Timing is checked by lower bounds only.
 */
class ConnectionTapTest {

    private static final Duration DELAY = Duration.ofMillis(400);

    /** A tap that records what it hears, as strings, and answers from scripts the test sets. */
    static final class Script implements ConnectionTap {
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        volatile Supplier<TapAction> connected = TapAction::proceed;
        volatile Function<String, TapAction> command = line -> TapAction.proceed();
        volatile long contentLimit = Long.MAX_VALUE;
        volatile LongFunction<TapAction> limitReached = octets -> TapAction.proceed();

        @Override
        public Listener open(SessionContext session) {
            events.add("open");
            return new Listener() {
                @Override public TapAction connected() {
                    events.add("connected");
                    return connected.get();
                }
                @Override public TapAction command(String line, boolean pipelined) {
                    events.add("command " + line + (pipelined ? " (pipelined)" : ""));
                    return command.apply(line);
                }
                @Override public void reply(Reply reply) {
                    events.add("reply " + reply.code() + (reply.enhancedStatus() == null ? "" : " " + reply.enhancedStatus()));
                }
                @Override public long contentLimit() {
                    events.add("contentLimit");
                    return contentLimit;
                }
                @Override public TapAction contentLimitReached(long octets) {
                    events.add("limit " + octets);
                    return limitReached.apply(octets);
                }
                @Override public void tlsStarted(SSLSession tls) {
                    events.add("tls " + tls.getProtocol());
                }
                @Override public void closed() {
                    events.add("closed");
                }
            };
        }

        /** Waits for {@code event}; returns every event up to and including it. */
        List<String> awaitEvent(String event) throws InterruptedException {
            List<String> seen = new ArrayList<>();
            while (true) {
                String e = events.poll(20, TimeUnit.SECONDS);
                if (e == null) {
                    throw new AssertionError("no " + event + " after " + seen);
                }
                seen.add(e);
                if (e.equals(event)) {
                    return seen;
                }
            }
        }
    }

    /** Records onConnect into the tap's own event queue, so the order of the two can be checked. */
    static final class Handler extends TestSupport.Capture {
        final Script tap;

        Handler(Script tap) {
            this.tap = tap;
        }

        @Override
        public Reply onConnect(SessionContext session) {
            tap.events.add("onConnect");
            return null;
        }
    }

    private static SmtpServer start(Script tap, Handler handler) throws Exception {
        return start(tap, handler, Duration.ofMinutes(5));
    }

    private static SmtpServer start(Script tap, Handler handler, Duration idleTimeout) throws Exception {
        return server(handler).tap(tap).receivedHeader(false).idleTimeout(idleTimeout).build().start();
    }

    /** Greeted, EHLO said, a sender and a recipient accepted. */
    private static void openTransaction(SmtpClient c) throws IOException {
        assertTrue(c.reply().startsWith("220"));
        assertTrue(c.command("EHLO client.example").startsWith("250"));
        assertEquals("250 2.1.0 OK", c.command("MAIL FROM:<a@example.org>"));
        assertTrue(c.command("RCPT TO:<b@example.org>").startsWith("250"));
    }

    /** A lower bound only: how late something may come depends on the machine. */
    private static void assertNoEarlier(Duration bound, long start, String what) {
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waited >= bound.toMillis(), () -> what + " after " + waited + " ms, before " + bound.toMillis());
    }

    @Test
    void everyCallbackComesInOrderWithTheRepliesAsWritten() throws Exception {
        Script tap = new Script();
        try (SmtpServer server = start(tap, new Handler(tap))) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                assertTrue(c.reply().startsWith("220"));
                assertTrue(c.command("EHLO client.example").startsWith("250"));
                assertEquals("250 2.1.0 OK", c.command("MAIL FROM:<a@example.org>"));
                assertTrue(c.command("QUIT").startsWith("221"));
                assertTrue(c.closedByServer());
            }
            List<String> events = tap.awaitEvent("closed");
            assertEquals(List.of("open", "connected", "onConnect", "reply 220", "command EHLO client.example",
                    "reply 250", "command MAIL FROM:<a@example.org>", "reply 250 2.1.0", "command QUIT",
                    "reply 221 2.0.0", "closed"), events);
        }
    }

    @Test
    void disconnectAtConnectSendsNoGreeting() throws Exception {
        Script tap = new Script();
        tap.connected = TapAction::disconnect;
        Handler handler = new Handler(tap);
        try (SmtpServer server = start(tap, handler); SmtpClient c = SmtpClient.connect(server)) {
            assertTrue(c.closedByServer(), "closed without a byte");
            assertEquals(List.of("open", "connected", "closed"), tap.awaitEvent("closed"));
        }
    }

    @Test
    void delayAtConnectSendsTheGreetingNoEarlier() throws Exception {
        Script tap = new Script();
        tap.connected = () -> TapAction.delay(DELAY);
        try (SmtpServer server = start(tap, new Handler(tap))) {
            long start = System.nanoTime();
            try (SmtpClient c = SmtpClient.connect(server)) {
                assertTrue(c.reply().startsWith("220"));
                assertNoEarlier(DELAY, start, "greeting");
                assertTrue(c.command("NOOP").startsWith("250"), "the session goes on after the delay");
            }
        }
    }

    @Test
    void stallAtConnectSendsNothingUntilTheIdleTimeoutCloses() throws Exception {
        Script tap = new Script();
        tap.connected = TapAction::stall;
        Duration idle = Duration.ofMillis(600);
        try (SmtpServer server = start(tap, new Handler(tap), idle)) {
            long start = System.nanoTime();
            try (SmtpClient c = SmtpClient.connect(server)) {
                c.send("EHLO client.example\r\n");
                assertTrue(c.closedByServer(), "closed without a byte");
                assertNoEarlier(idle, start, "closed");
            }
            assertFalse(tap.awaitEvent("closed").contains("onConnect"), "the session never started");
        }
    }

    @Test
    void stallAtACommandAnswersNothingUntilTheIdleTimeout() throws Exception {
        Script tap = new Script();
        tap.command = line -> line.equals("NOOP") ? TapAction.stall() : TapAction.proceed();
        Duration idle = Duration.ofMillis(600);
        try (SmtpServer server = start(tap, new Handler(tap), idle); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            assertTrue(c.command("EHLO client.example").startsWith("250"));
            long start = System.nanoTime();
            assertEquals("421 4.4.2 Error: timeout exceeded", c.command("NOOP"), "no 250: the NOOP never ran");
            assertNoEarlier(idle, start, "421");
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void delayAtACommandSendsItsReplyNoEarlier() throws Exception {
        Script tap = new Script();
        tap.command = line -> line.equals("NOOP") ? TapAction.delay(DELAY) : TapAction.proceed();
        try (SmtpServer server = start(tap, new Handler(tap)); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            long start = System.nanoTime();
            c.send("NOOP\r\nHELP\r\n");
            assertTrue(c.reply().startsWith("250"), "NOOP, answered after the delay");
            assertNoEarlier(DELAY, start, "NOOP's reply");
            assertTrue(c.reply().startsWith("214"), "the HELP pipelined behind it, in order");
        }
    }

    @Test
    void refuseAtDataAnswersTheClientAndLeavesTheSessionUsable() throws Exception {
        Script tap = new Script();
        Reply refusal = Reply.of(554, "5.7.1", "Tapped: no data today");
        int[] refusals = {1};
        tap.command = line -> line.equals("DATA") && refusals[0]-- > 0 ? TapAction.refuse(refusal) : TapAction.proceed();
        Handler handler = new Handler(tap);
        try (SmtpServer server = start(tap, handler); SmtpClient c = SmtpClient.connect(server)) {
            openTransaction(c);
            assertEquals("554 5.7.1 Tapped: no data today", c.command("DATA"));
            assertEquals("250 2.0.0 OK", c.command("RSET"));
            assertTrue(c.sendMail("a@example.org", "c@example.org", "Subject: again\r\n\r\nbody").startsWith("250"));
            assertTrue(handler.take().envelope().recipients().get(0).toString().contains("c@example.org"));
        }
        assertTrue(tap.events.contains("reply 554 5.7.1"), "the tap hears its own refusal as a reply");
    }

    @Test
    void aRefusalOfABdatCommandOrASaslLineIsTakenAsProceed() throws Exception {
        Script tap = new Script();
        Reply refusal = Reply.of(554, "5.7.1", "Tapped");
        tap.command = line -> line.startsWith("BDAT") || line.equals("****") ? TapAction.refuse(refusal) : TapAction.proceed();
        Handler handler = new Handler(tap);
        String user = Base64.getEncoder().encodeToString("alice".getBytes(StandardCharsets.UTF_8));
        try (SmtpServer server = server(handler).tap(tap).authenticator((u, p) -> true).receivedHeader(false)
                .config(SessionConfig.builder().allowInsecureAuth(true).build()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            // Refused, the SASL response would be left for the session to read as a command.
            assertTrue(c.command("AUTH LOGIN").startsWith("334"));
            assertTrue(c.command(user).startsWith("334"));
            assertTrue(c.command(user).startsWith("235"));
            assertEquals("250 2.1.0 OK", c.command("MAIL FROM:<a@example.org>"));
            assertTrue(c.command("RCPT TO:<b@example.org>").startsWith("250"));
            // Refused, the chunk that follows the command at once would be read as commands.
            c.send("BDAT 5 LAST\r\nhello");
            assertTrue(c.reply().startsWith("250"));
            assertEquals("hello", handler.take().text());
        }
        assertFalse(tap.events.contains("reply 554 5.7.1"), tap.events::toString);
    }

    @Test
    void refuse421AtQuitClosesAfterTheReply() throws Exception {
        Script tap = new Script();
        tap.command = line -> line.equals("QUIT") ? TapAction.refuse(Reply.of(421, "4.7.0", "Tapped: go away")) : TapAction.proceed();
        try (SmtpServer server = start(tap, new Handler(tap)); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            assertEquals("421 4.7.0 Tapped: go away", c.command("QUIT"));
            assertTrue(c.closedByServer());
        }
    }

    @Test
    void disconnectAtTheContentLimitDeliversNothingAndSendsNoFinalReply() throws Exception {
        Script tap = new Script();
        tap.contentLimit = 100;
        tap.limitReached = octets -> TapAction.disconnect();
        Handler handler = new Handler(tap);
        try (SmtpServer server = start(tap, handler)) {
            try (SmtpClient c = SmtpClient.connect(server)) {
                openTransaction(c);
                assertTrue(c.command("DATA").startsWith("354"));
                c.send("x".repeat(1000) + "\r\n.\r\n");
                assertTrue(c.closedByServer(), "closed, no final reply");
            }
            List<String> events = tap.awaitEvent("closed");
            assertTrue(events.contains("limit 100"), events::toString);
            assertTrue(handler.messages.isEmpty(), "no message reached the handler");
        }
    }

    @Test
    void proceedAtTheContentLimitLetsTheWholeMessageThrough() throws Exception {
        Script tap = new Script();
        tap.contentLimit = 7;
        Handler handler = new Handler(tap);
        try (SmtpServer server = start(tap, handler); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            assertTrue(c.sendMail("a@example.org", "b@example.org", "Subject: sliced\r\n\r\n" + "y".repeat(5000)).startsWith("250"));
            assertTrue(handler.take().text().endsWith("y".repeat(5000) + "\r\n"), "not an octet lost at the slice");
            assertTrue(tap.events.contains("limit 7"), tap.events::toString);
        }
    }

    @Test
    void throttleLimitsHowFastContentIsRead() throws Exception {
        int rate = 20_000;
        int size = 40_000;
        Script tap = new Script();
        tap.command = line -> line.equals("DATA") ? TapAction.throttle(rate) : TapAction.proceed();
        Handler handler = new Handler(tap);
        try (SmtpServer server = start(tap, handler); SmtpClient c = SmtpClient.connect(server)) {
            openTransaction(c);
            assertTrue(c.command("DATA").startsWith("354"));
            long start = System.nanoTime();
            c.send(("z".repeat(998) + "\r\n").repeat(size / 1000) + ".\r\n");
            assertTrue(c.reply().startsWith("250"));
            // The ration starts empty, so the octets take at least size / rate seconds, less a refill's slack.
            assertNoEarlier(Duration.ofMillis(1000L * size / rate - 200), start, "the end of " + size + " octets");
            assertEquals(size, handler.take().content().length, "every octet arrived");
        }
    }

    @Test
    void theTapNeverSeesAuthCredentials() throws Exception {
        Script tap = new Script();
        String plain = Base64.getEncoder().encodeToString("\0alice\0s3cret".getBytes(StandardCharsets.UTF_8));
        String user = Base64.getEncoder().encodeToString("alice".getBytes(StandardCharsets.UTF_8));
        String password = Base64.getEncoder().encodeToString("s3cret".getBytes(StandardCharsets.UTF_8));
        try (SmtpServer server = server(new Handler(tap)).tap(tap).authenticator((u, p) -> true)
                .config(SessionConfig.builder().allowInsecureAuth(true).build()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            assertTrue(c.command("AUTH PLAIN " + plain).startsWith("235"));
            c.command("RSET");
        }
        try (SmtpServer server = server(new Handler(tap)).tap(tap).authenticator((u, p) -> true)
                .config(SessionConfig.builder().allowInsecureAuth(true).build()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            assertTrue(c.command("AUTH LOGIN").startsWith("334"));
            assertTrue(c.command(user).startsWith("334"));
            assertTrue(c.command(password).startsWith("235"));
            c.command("QUIT");
        }
        List<String> commands = new ArrayList<>();
        for (String e : tap.events) {
            if (e.startsWith("command ")) {
                commands.add(e.substring("command ".length()));
            }
        }
        assertTrue(commands.contains("AUTH PLAIN ****"), commands::toString);
        assertTrue(commands.contains("AUTH LOGIN"), commands::toString);
        assertEquals(2, commands.stream().filter("****"::equals).count(), commands::toString);
        for (String line : commands) {
            assertFalse(line.contains(plain) || line.contains(user) || line.contains(password), line);
        }
    }

    @Test
    void pipelinedLinesAreMarked() throws Exception {
        Script tap = new Script();
        try (SmtpServer server = start(tap, new Handler(tap)); SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nNOOP\r\n");
            c.reply();
            c.reply();
            c.reply();
            c.command("QUIT");
        }
        List<String> events = tap.awaitEvent("closed");
        assertTrue(events.contains("command EHLO client.example"), events::toString);
        assertTrue(events.contains("command MAIL FROM:<a@example.org>"), events::toString);
        assertTrue(events.contains("command RCPT TO:<b@example.org> (pipelined)"), events::toString);
        assertTrue(events.contains("command NOOP (pipelined)"), events::toString);
    }

    @Test
    void tlsStartedIsHeardAfterStarttls() throws Exception {
        Script tap = new Script();
        try (SmtpServer server = server(new Handler(tap)).tap(tap).tls(TestSupport.serverTls()).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            c.reply();
            c.command("EHLO client.example");
            assertTrue(c.command("STARTTLS").startsWith("220"));
            c.startTls(TestSupport.trustAll());
            assertTrue(c.command("EHLO client.example").startsWith("250"));
            assertTrue(tap.events.stream().anyMatch(e -> e.startsWith("tls TLSv1.")), tap.events::toString);
        }
    }

    @Test
    void aTapThatThrowsIsTakenAsProceed() throws Exception {
        ConnectionTap throwing = session -> new ConnectionTap.Listener() {
            @Override public TapAction connected() {
                throw new IllegalStateException("tap broke\r\n250 forged");
            }
            @Override public TapAction command(String line, boolean pipelined) {
                throw new IllegalStateException("tap broke");
            }
            @Override public void reply(Reply reply) {
                throw new IllegalStateException("tap broke");
            }
            @Override public long contentLimit() {
                throw new IllegalStateException("tap broke");
            }
        };
        TestSupport.Capture handler = new TestSupport.Capture();
        try (SmtpServer server = server(handler).tap(throwing).receivedHeader(false).build().start();
                SmtpClient c = SmtpClient.connect(server)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertTrue(c.sendMail("a@example.org", "b@example.org", "Subject: t\r\n\r\nbody").startsWith("250"));
            assertEquals("Subject: t\r\n\r\nbody\r\n", handler.take().text());
        }
    }

    @Test
    void aTapThatOnlyListensChangesNoReplyAndNoOctet() throws Exception {
        String script = "EHLO client.example\r\n"
                + "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                + "line one\r\n..a stuffed dot\r\n.\r\n"
                + "MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.org>\r\nBDAT 5\r\nhelloBDAT 8 LAST\r\n world\r\n"
                + "AUTH PLAIN\r\nNOOP\r\n" + "x".repeat(600) + "\r\nNOOP\r\nQUIT\r\n";
        Script tap = new Script();
        tap.contentLimit = 3;
        Handler untapped = new Handler(new Script());
        Handler tapped = new Handler(tap);
        List<String> plain;
        List<String> seen;
        try (SmtpServer server = server(untapped).receivedHeader(false).build().start()) {
            plain = replay(server, script);
        }
        try (SmtpServer server = start(tap, tapped)) {
            seen = replay(server, script);
        }
        assertEquals(plain, seen);
        assertTrue(plain.size() > 10, plain::toString);
        for (int i = 0; i < 2; i++) {
            assertEquals(untapped.take().text(), tapped.take().text());
        }
    }

    @Test
    void implicitTlsIsHeardBeforeTheGreeting() throws Exception {
        Script tap = new Script();
        try (SmtpServer server = server(new Handler(tap)).tap(tap).tls(TestSupport.serverTls())
                .listenTls(TestSupport.LOOPBACK).build().start();
                SmtpClient c = SmtpClient.connect(server.addresses().get(1))) {
            c.startTls(TestSupport.trustAll());
            assertTrue(c.reply().startsWith("220"));
            c.command("QUIT");
        }
        List<String> events = tap.awaitEvent("closed");
        int tls = events.indexOf(events.stream().filter(e -> e.startsWith("tls TLSv1.")).findFirst().orElseThrow());
        assertTrue(tls < events.indexOf("reply 220"), events::toString);
        assertTrue(events.indexOf("connected") < tls, events::toString);
    }

    @Test
    void aTapThatReturnsNoListenerLeavesTheConnectionUntapped() throws Exception {
        int[] opened = {0};
        ConnectionTap none = session -> {
            opened[0]++;
            return null;
        };
        TestSupport.Capture handler = new TestSupport.Capture();
        try (SmtpServer server = server(handler).tap(none).build().start(); SmtpClient c = SmtpClient.connect(server)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertTrue(c.sendMail("a@example.org", "b@example.org", "Subject: t\r\n\r\nbody").startsWith("250"));
            handler.take();
        }
        assertEquals(1, opened[0]);
    }

    /** Sends {@code script} in small writes (so lines arrive split) and returns every reply until the server closes. */
    private static List<String> replay(SmtpServer server, String script) throws IOException {
        List<String> replies = new ArrayList<>();
        try (SmtpClient c = SmtpClient.connect(server)) {
            replies.add(c.reply());
            byte[] bytes = script.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < bytes.length; i += 7) {
                c.send(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + 7)));
            }
            while (true) {
                try {
                    replies.add(c.reply());
                } catch (IOException closed) {
                    return replies;
                }
            }
        }
    }
}
