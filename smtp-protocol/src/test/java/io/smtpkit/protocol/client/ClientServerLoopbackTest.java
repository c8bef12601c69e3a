package io.smtpkit.protocol.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Chunks;
import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.SmtpSession;
import io.smtpkit.protocol.transcript.RecordingOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The client against this project's own server session, in memory: both state machines, bytes
 * passed between them as a transport would. What the server delivers must be exactly what the
 * client was given (DATA with dot-stuffing, BDAT for BINARYMIME), and the verdicts the server's
 * handler gives must be the verdicts the client reports.
 */
class ClientServerLoopbackTest {

    private static final MailPath ALICE = new MailPath("alice", "example.org");
    private static final MailPath BOB = new MailPath("bob", "example.org");

    /** One conversation; handler answers by decision, null for the default. */
    private static final class Loopback {
        final RecordingOutput serverOut = new RecordingOutput();
        final SmtpSession server;
        final ClientSession client;
        final Function<Decision, Reply> handler;
        final Deque<Transaction> toSend = new ArrayDeque<>();
        final Deque<List<byte[]>> contents = new ArrayDeque<>();
        final List<byte[]> delivered = new ArrayList<>();
        final List<TransactionResult> results = new ArrayList<>();
        ClientFailure closedWith;
        boolean closed;

        Loopback(SessionConfig serverConfig, ClientConfig clientConfig, Function<Decision, Reply> handler) {
            this.server = new SmtpSession(serverConfig, serverOut);
            this.client = new ClientSession(clientConfig);
            this.handler = handler;
        }

        Loopback send(Transaction t, List<byte[]> content) {
            toSend.add(t);
            contents.add(content);
            return this;
        }

        Loopback run() {
            server.start();
            settle();
            for (int rounds = 0; !closed; rounds++) {
                assertTrue(rounds < 1000, "the conversation does not end");
                byte[] replies = serverOut.replies().getBytes(StandardCharsets.UTF_8);
                serverOut.clearReplies();
                client.receive(ByteBuffer.wrap(replies));
                drive();
                if (server.isClosed() && !closed) {
                    client.connectionLost();
                    drive();
                }
            }
            return this;
        }

        private void drive() {
            while (true) {
                for (ByteBuffer b : client.takeOutput()) {
                    feedServer(b.duplicate());
                }
                ClientEvent e = client.next();
                if (e instanceof ClientEvent.NeedData || e instanceof ClientEvent.Paused) {
                    return;
                }
                if (e instanceof ClientEvent.Ready) {
                    if (toSend.isEmpty()) {
                        client.quit();
                    } else {
                        client.send(toSend.peek());
                    }
                } else if (e instanceof ClientEvent.SendContent) {
                    // Without PIPELINING, BDAT takes one chunk per SendContent; DATA takes them all.
                    List<byte[]> content = contents.peek();
                    while (!content.isEmpty() && client.acceptsContent()) {
                        client.content(ByteBuffer.wrap(content.remove(0)));
                        for (ByteBuffer b : client.takeOutput()) {
                            feedServer(b.duplicate());
                        }
                    }
                    if (content.isEmpty() && client.acceptsContent()) {
                        client.endContent();
                    }
                } else if (e instanceof ClientEvent.Delivered d) {
                    results.add(d.result());
                    toSend.poll();
                    contents.poll();
                } else if (e instanceof ClientEvent.Closed c) {
                    closed = true;
                    closedWith = c.failure();
                }
            }
        }

        private void feedServer(ByteBuffer in) {
            while (in.hasRemaining() && !server.isClosed()) {
                server.receive(in);
                settle();
            }
        }

        private void settle() {
            Decision d;
            while ((d = server.awaiting()) != null) {
                if (d instanceof Decision.Message) {
                    delivered.add(serverOut.takeContent());
                }
                server.resume(handler.apply(d));
            }
        }
    }

    private static SessionConfig server(boolean pipelining) {
        return SessionConfig.builder().hostname("mx.example").pipelining(pipelining).chunking(true).binaryMime(true)
                .smtpUtf8(true).dsn(true).build();
    }

    private static ClientConfig client(boolean pipelining) {
        return ClientConfig.builder().heloName("client.example").pipelining(pipelining).build();
    }

    @Provide
    Arbitrary<byte[]> textContent() {
        // Lines end in CRLF (the server normalizes bare LFs); dots, bare CRs, NULs and 8-bit octets anywhere.
        Arbitrary<String> piece = Arbitraries.of("a", "xy", ".", "..", "\r\n", "\r\n", "\r\n.", "\r\n.\r\n", ".\r\n",
                "\r", "\0", "\u00ff", "\u00e9", " ", "MAIL FROM:<x@y>");
        return piece.list().ofMaxSize(60).map(l -> String.join("", l).getBytes(StandardCharsets.ISO_8859_1));
    }

    @Property(tries = 300)
    void dataDeliversExactlyTheContent(@ForAll("textContent") byte[] content, @ForAll boolean pipelining,
            @ForAll @Size(max = 5) List<@IntRange(min = 0, max = 400) Integer> cuts) {
        Loopback l = new Loopback(server(pipelining), client(pipelining), d -> null)
                .send(Transaction.from(ALICE).to(BOB).body(BodyType.EIGHT_BIT_MIME).size(content.length).build(),
                        new ArrayList<>(Chunks.split(content, cuts)))
                .run();
        byte[] expected = content;
        if (content.length > 0 && !(content.length >= 2 && content[content.length - 2] == '\r' && content[content.length - 1] == '\n')) {
            expected = (new String(content, StandardCharsets.ISO_8859_1) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        }
        assertEquals(1, l.delivered.size());
        assertArrayEquals(expected, l.delivered.get(0));
        assertTrue(l.results.get(0).deliveredToAll());
        assertNull(l.closedWith);
    }

    @Property(tries = 300)
    void bdatDeliversExactlyTheBytes(@ForAll @Size(max = 300) byte[] content, @ForAll boolean pipelining,
            @ForAll @Size(max = 5) List<@IntRange(min = 0, max = 300) Integer> cuts) {
        Loopback l = new Loopback(server(pipelining), client(pipelining), d -> null)
                .send(Transaction.from(ALICE).to(BOB).body(BodyType.BINARY_MIME).build(), new ArrayList<>(Chunks.split(content, cuts)))
                .run();
        assertEquals(1, l.delivered.size());
        assertArrayEquals(content, l.delivered.get(0));
        assertTrue(l.results.get(0).deliveredToAll());
        assertNull(l.closedWith);
    }

    @Test
    void theHandlersVerdictsAreTheClientsResults() {
        MailPath nobody = new MailPath("nobody", "example.org");
        MailPath carol = new MailPath("carol", "example.org");
        Loopback l = new Loopback(server(true), client(true), d -> d instanceof Decision.Rcpt r && r.recipient().equals(nobody)
                ? Reply.MAILBOX_UNAVAILABLE : null)
                .send(Transaction.from(ALICE).to(BOB).to(nobody).to(carol).build(), new ArrayList<>(List.of("one\r\n".getBytes(StandardCharsets.US_ASCII))))
                .send(Transaction.from(MailPath.NULL).to(nobody).build(), new ArrayList<>(List.of("two\r\n".getBytes(StandardCharsets.US_ASCII))))
                .send(Transaction.from(new MailPath("jösé", "example.org")).to(BOB).build(), new ArrayList<>(List.of("three\r\n".getBytes(StandardCharsets.UTF_8))))
                .run();
        assertEquals(3, l.results.size());
        TransactionResult first = l.results.get(0);
        assertEquals(List.of(BOB, carol), first.accepted().stream().map(r -> r.recipient().path()).toList());
        assertEquals(550, first.refused().get(0).reply().code());
        assertEquals("5.1.1", first.refused().get(0).reply().enhancedStatus());
        assertEquals(RecipientResult.Stage.RCPT, first.refused().get(0).stage());
        assertEquals(RecipientResult.Stage.DATA, first.accepted().get(0).stage());
        TransactionResult second = l.results.get(1);
        assertTrue(!second.delivered(), "the only recipient was refused");
        assertTrue(l.results.get(2).deliveredToAll(), "SMTPUTF8 offered and used");
        assertEquals(2, l.delivered.size(), "the second transaction delivered nothing (RSET after it)");
        assertArrayEquals("one\r\n".getBytes(StandardCharsets.US_ASCII), l.delivered.get(0));
        assertArrayEquals("three\r\n".getBytes(StandardCharsets.UTF_8), l.delivered.get(1));
        assertNull(l.closedWith, "QUIT and 221");
    }

    @Test
    void aRefusedMessageIsReportedAndTheSessionReused() {
        int[] messages = {0};
        Loopback l = new Loopback(server(true), client(true),
                d -> d instanceof Decision.Message && messages[0]++ == 0 ? Reply.of(554, "5.7.1", "Spam") : null)
                .send(Transaction.from(ALICE).to(BOB).build(), new ArrayList<>(List.of("spam\r\n".getBytes(StandardCharsets.US_ASCII))))
                .send(Transaction.from(ALICE).to(BOB).build(), new ArrayList<>(List.of("ham\r\n".getBytes(StandardCharsets.US_ASCII))))
                .run();
        assertEquals(554, l.results.get(0).reply().code());
        assertEquals(RecipientResult.Stage.DATA, l.results.get(0).recipients().get(0).stage());
        assertTrue(l.results.get(1).deliveredToAll());
    }
}
