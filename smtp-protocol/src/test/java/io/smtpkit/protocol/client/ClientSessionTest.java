package io.smtpkit.protocol.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the transcripts cannot show: write batching, buffer ownership, misuse, secrets, values. */
class ClientSessionTest {

    private static final MailPath ALICE = new MailPath("alice", "example.org");
    private static final MailPath BOB = new MailPath("bob", "example.org");
    private static final MailPath CAROL = new MailPath("carol", "example.org");

    private static void feed(ClientSession s, String text) {
        s.receive(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static String text(List<ByteBuffer> out) {
        StringBuilder b = new StringBuilder();
        for (ByteBuffer buffer : out) {
            byte[] bytes = new byte[buffer.remaining()];
            buffer.duplicate().get(bytes);
            b.append(new String(bytes, StandardCharsets.UTF_8));
        }
        return b.toString();
    }

    private static List<ClientEvent> events(ClientSession s) {
        List<ClientEvent> events = new ArrayList<>();
        for (ClientEvent e = s.next(); !(e instanceof ClientEvent.NeedData) && !(e instanceof ClientEvent.Paused); e = s.next()) {
            events.add(e);
        }
        return events;
    }

    private static ClientSession ready(ClientConfig config, String ehloKeywords) {
        ClientSession s = new ClientSession(config);
        feed(s, "220 mx.example\r\n");
        assertEquals("EHLO client.example\r\n", text(s.takeOutput()));
        feed(s, "250-mx.example\r\n" + ehloKeywords + "250 HELP\r\n");
        assertInstanceOf(ClientEvent.Ready.class, s.next());
        return s;
    }

    private static ClientConfig config() {
        return ClientConfig.builder().heloName("client.example").build();
    }

    /** RFC 2920 §3.1: the whole envelope leaves in one write. */
    @Test
    void aPipelinedGroupIsOneBatch() {
        ClientSession s = ready(config(), "250-PIPELINING\r\n");
        assertFalse(s.hasOutput());
        s.send(Transaction.from(ALICE).to(BOB).to(CAROL).build());
        assertTrue(s.hasOutput());
        assertEquals("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n",
                text(s.takeOutput()));
        assertFalse(s.hasOutput());
        assertEquals(Wait.MAIL, s.waiting());
        assertInstanceOf(ClientEvent.NeedData.class, s.next());
    }

    @Test
    void withoutPipeliningOneCommandAtATime() {
        ClientSession s = ready(config(), "");
        s.send(Transaction.from(ALICE).to(BOB).to(CAROL).build());
        assertEquals("MAIL FROM:<alice@example.org>\r\n", text(s.takeOutput()));
        feed(s, "250 OK\r\n");
        assertEquals("RCPT TO:<bob@example.org>\r\n", text(s.takeOutput()));
    }

    @Test
    void contentIsHandedOnAsViewsOfTheCallersBuffer() {
        ClientSession s = ready(config(), "250-PIPELINING\r\n");
        s.send(Transaction.from(ALICE).to(BOB).build());
        s.takeOutput();
        feed(s, "250 OK\r\n250 OK\r\n354 go\r\n");
        assertInstanceOf(ClientEvent.SendContent.class, s.next());
        assertEquals(Wait.DATA_BLOCK, s.waiting());
        byte[] big = new byte[20 << 20];
        java.util.Arrays.fill(big, (byte) 'x');
        big[big.length - 2] = '\r';
        big[big.length - 1] = '\n';
        ByteBuffer chunk = ByteBuffer.wrap(big);
        s.content(chunk);
        List<ByteBuffer> out = s.takeOutput();
        assertEquals(1, out.size());
        assertSame(big, out.get(0).array(), "20 MiB are not copied");
        assertEquals(big.length, out.get(0).remaining());
        assertEquals(0, chunk.position());
        s.endContent();
        assertEquals(".\r\n", text(s.takeOutput()));
        assertEquals(Wait.DATA_TERMINATION, s.waiting());
    }

    @Test
    void misuseIsTheCallersException() {
        ClientSession s = new ClientSession(config());
        Transaction t = Transaction.from(ALICE).to(BOB).build();
        assertThrows(IllegalStateException.class, () -> s.send(t));
        assertThrows(IllegalStateException.class, () -> s.content(ByteBuffer.allocate(1)));
        assertThrows(IllegalStateException.class, s::endContent);
        assertThrows(IllegalStateException.class, () -> s.tlsStarted(true));
        assertThrows(IllegalStateException.class, s::quit);
        feed(s, "220 mx\r\n");
        assertThrows(IllegalStateException.class, s::startSecure);
    }

    @Test
    void credentialsNeverShow() {
        ClientConfig config = ClientConfig.builder().heloName("client.example").credentials("alice", "s3cr3t-pw")
                .allowInsecureAuth(true).build();
        ClientSession s = new ClientSession(config);
        feed(s, "220 mx.example\r\n250-mx.example\r\n250 AUTH PLAIN\r\n");
        List<ByteBuffer> auth = s.takeOutput();
        assertTrue(text(auth).startsWith("EHLO client.example\r\n"));
        auth = List.of(auth.get(1));
        assertTrue(text(auth).startsWith("AUTH PLAIN "), "the password goes only to the wire");
        feed(s, "535 5.7.8 Authentication credentials invalid\r\n");
        feed(s, "221 Bye\r\n");
        List<ClientEvent> events = events(s);
        ClientEvent.Closed closed = assertInstanceOf(ClientEvent.Closed.class, events.get(events.size() - 1));
        assertEquals(ClientFailure.Kind.AUTH_FAILED, closed.failure().kind());
        for (String shown : List.of(config.toString(), s.toString(), events.toString(), closed.failure().toString())) {
            assertFalse(shown.contains("s3cr3t"), shown);
            assertFalse(shown.contains("czNjcjN0"), shown); // base64 of the password's start
            assertFalse(shown.contains("AGFsaWNl"), shown); // the PLAIN response
        }
    }

    @Test
    void closedTakesNoMoreInput() {
        ClientSession s = new ClientSession(config());
        feed(s, "421 4.3.2 busy\r\n");
        assertEquals(ClientFailure.Kind.SERVICE_CLOSING, assertInstanceOf(ClientEvent.Closed.class, s.next()).failure().kind());
        feed(s, "220 hello again\r\n");
        assertInstanceOf(ClientEvent.Paused.class, s.next());
        assertFalse(s.hasOutput());
        assertNull(s.waiting());
        s.connectionLost();
        s.timeout();
        s.quit();
        s.content(ByteBuffer.allocate(3));
        s.endContent();
        assertInstanceOf(ClientEvent.Paused.class, s.next());
        assertEquals(ClientState.CLOSED, s.state());
        assertFalse(s.hasOutput());
    }

    /** A transaction sent to a session that failed after Ready still gets its outcome. */
    @Test
    void sendAfterAFailureIsAnsweredAtOnce() {
        ClientSession s = ready(config(), "");
        feed(s, "421 4.3.2 bye\r\n");
        s.send(Transaction.from(ALICE).to(BOB).build());
        List<ClientEvent> events = events(s);
        assertEquals(2, events.size(), events::toString);
        assertInstanceOf(ClientEvent.Closed.class, events.get(0));
        TransactionResult r = assertInstanceOf(ClientEvent.Delivered.class, events.get(1)).result();
        assertEquals(ClientFailure.Kind.SERVICE_CLOSING, r.failure().kind());
        assertEquals(451, r.recipients().get(0).reply().code());
        assertFalse(s.hasOutput());
    }

    @Test
    void theRfcDefaultTimeouts() {
        assertEquals(Duration.ofMinutes(5), Wait.GREETING.defaultTimeout());
        assertEquals(Duration.ofMinutes(5), Wait.MAIL.defaultTimeout());
        assertEquals(Duration.ofMinutes(5), Wait.RCPT.defaultTimeout());
        assertEquals(Duration.ofMinutes(2), Wait.DATA_INITIATION.defaultTimeout());
        assertEquals(Duration.ofMinutes(3), Wait.DATA_BLOCK.defaultTimeout());
        assertEquals(Duration.ofMinutes(10), Wait.DATA_TERMINATION.defaultTimeout());
        assertEquals("4.5.3.2.6", Wait.DATA_TERMINATION.rfcSection());
    }

    @Test
    void sendNeedsARecipientAndStepsNeedAStepwiseTransaction() {
        ClientSession s = new ClientSession(config());
        s.receive(ByteBuffer.wrap("220 mx\r\n250 mx\r\n".getBytes(StandardCharsets.US_ASCII)));
        s.takeOutput();
        assertEquals(ClientEvent.Ready.class, s.next().getClass());
        assertThrows(IllegalArgumentException.class, () -> s.send(Transaction.from(ALICE).build()));
        assertThrows(IllegalStateException.class, () -> s.rcpt(Transaction.Recipient.of(BOB)));
        assertThrows(IllegalStateException.class, s::data);
        assertThrows(IllegalStateException.class, s::reset);
        s.mail(Transaction.from(ALICE).build());
        assertThrows(IllegalStateException.class, () -> s.rcpt(Transaction.Recipient.of(BOB)), "MAIL's reply is outstanding");
        s.receive(ByteBuffer.wrap("250 OK\r\n".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(new ClientEvent.Replied(Reply.of(250, "OK")), s.next());
        assertTrue(s.inStepwiseTransaction());
        assertThrows(IllegalStateException.class, s::data, "no recipient accepted yet");
    }

    @Test
    void transactionsCannotForgeCommands() {
        assertThrows(IllegalArgumentException.class,
                () -> Transaction.from(new MailPath("a\r\nRCPT TO:<x@y>", "example.org")).to(BOB).build());
        assertThrows(IllegalArgumentException.class, () -> Transaction.from(ALICE).to(new MailPath("b\n", "x")).build());
        assertThrows(IllegalArgumentException.class, () -> Transaction.from(ALICE).to(BOB).dsn("FULL X", null).build());
        assertThrows(IllegalArgumentException.class,
                () -> Transaction.from(ALICE).to(new Transaction.Recipient(BOB, "NEVER\r\nQUIT", null)).build());
        assertThrows(IllegalArgumentException.class, () -> ClientConfig.builder().heloName("a b"));
        assertThrows(IllegalArgumentException.class, () -> ClientConfig.builder().credentials("a\0b", "c"));
    }

    @Test
    void internationalizedPathsNeedSmtpUtf8() {
        assertTrue(Transaction.from(ALICE).to(new MailPath("jösé", "example.org")).build().smtpUtf8());
        assertFalse(Transaction.from(ALICE).to(BOB).build().smtpUtf8());
    }

    @Test
    void resultsSayWhoGotTheMessage() {
        ClientSession s = ready(config(), "250-PIPELINING\r\n");
        s.send(Transaction.from(ALICE).to(BOB).to(CAROL).build());
        feed(s, "250 OK\r\n250 OK\r\n550 5.1.1 no\r\n354 go\r\n");
        assertInstanceOf(ClientEvent.SendContent.class, s.next());
        s.endContent();
        feed(s, "250 2.0.0 queued\r\n");
        TransactionResult r = assertInstanceOf(ClientEvent.Delivered.class, s.next()).result();
        assertTrue(r.delivered());
        assertFalse(r.deliveredToAll());
        assertEquals(List.of(BOB), r.accepted().stream().map(x -> x.recipient().path()).toList());
        assertEquals(List.of(CAROL), r.refused().stream().map(x -> x.recipient().path()).toList());
        assertEquals("no", r.refused().get(0).reply().text());
        assertEquals("queued", r.reply().text());
        assertEquals(250, r.mailReply().code());
        assertNull(r.failure());
        assertInstanceOf(ClientEvent.Ready.class, s.next());
    }

    @Test
    void localFailuresCarryTheReplyToGive() {
        ClientSession s = ready(config(), "");
        s.send(Transaction.from(ALICE).to(new MailPath("jösé", "example.org")).build());
        TransactionResult r = assertInstanceOf(ClientEvent.Delivered.class, s.next()).result();
        assertEquals(ClientFailure.Kind.NEEDS_SMTPUTF8, r.failure().kind());
        assertTrue(r.failure().isLocal());
        assertFalse(r.failure().isTransient());
        assertEquals("553 5.6.7", r.reply().code() + " " + r.reply().enhancedStatus());
        assertFalse(s.hasOutput());
    }
}
