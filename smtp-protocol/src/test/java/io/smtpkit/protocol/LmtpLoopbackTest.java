package io.smtpkit.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smtpkit.protocol.client.ClientConfig;
import io.smtpkit.protocol.client.ClientEvent;
import io.smtpkit.protocol.client.ClientSession;
import io.smtpkit.protocol.client.RecipientResult;
import io.smtpkit.protocol.client.Transaction;
import io.smtpkit.protocol.client.TransactionResult;
import io.smtpkit.protocol.transcript.RecordingOutput;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The project's LMTP client against its LMTP server, in memory (RFC 2033): the server's
 * per-recipient answers after the data ({@link SmtpSession#resumePerRecipient}) must come out as
 * the client's per-recipient results, recipient by recipient, for DATA and for BDAT LAST.
 */
class LmtpLoopbackTest {

    private static final MailPath ALICE = new MailPath("alice", "example.org");
    private static final MailPath BOB = new MailPath("bob", "example.org");
    private static final MailPath FULL = new MailPath("full", "example.org");
    private static final MailPath NOBODY = new MailPath("nobody", "example.org");
    private static final MailPath CAROL = new MailPath("carol", "example.org");
    private static final Reply MAILBOX_FULL = Reply.of(452, "4.2.2", "Mailbox full");

    @ParameterizedTest
    @EnumSource(value = BodyType.class, names = {"EIGHT_BIT_MIME", "BINARY_MIME"})
    void theServersPerRecipientRepliesAreTheClientsResults(BodyType body) {
        byte[] content = "Subject: lmtp\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        RecordingOutput serverOut = new RecordingOutput();
        SmtpSession server = new SmtpSession(SessionConfig.builder().hostname("lmtp.example").lmtp(true).build(), serverOut);
        ClientSession client = new ClientSession(ClientConfig.builder().heloName("client.example").lmtp(true).build());
        Transaction transaction = Transaction.from(ALICE).to(BOB).to(FULL).to(NOBODY).to(CAROL).body(body).build();
        List<byte[]> delivered = new ArrayList<>();
        List<TransactionResult> results = new ArrayList<>();
        boolean sent = false;
        boolean closed = false;

        server.start();
        server.resume(null);
        for (int rounds = 0; !closed; rounds++) {
            assertTrue(rounds < 100, "the conversation does not end");
            byte[] replies = serverOut.replies().getBytes(StandardCharsets.UTF_8);
            serverOut.clearReplies();
            client.receive(ByteBuffer.wrap(replies));
            while (true) {
                for (ByteBuffer out : client.takeOutput()) {
                    ByteBuffer in = out.duplicate();
                    while (in.hasRemaining() && !server.isClosed()) {
                        server.receive(in);
                        Decision d;
                        while ((d = server.awaiting()) != null) {
                            if (d instanceof Decision.Rcpt rcpt) {
                                server.resume(rcpt.recipient().equals(NOBODY) ? Reply.MAILBOX_UNAVAILABLE : null);
                            } else if (d instanceof Decision.Message message) {
                                delivered.add(serverOut.takeContent());
                                server.resumePerRecipient(message.envelope().recipients().stream()
                                        .map(r -> r.equals(FULL) ? MAILBOX_FULL : null).toList());
                            } else {
                                server.resume(null);
                            }
                        }
                    }
                }
                ClientEvent e = client.next();
                if (e instanceof ClientEvent.NeedData || e instanceof ClientEvent.Paused) {
                    break;
                } else if (e instanceof ClientEvent.Ready) {
                    if (sent) {
                        client.quit();
                    } else {
                        client.send(transaction);
                        sent = true;
                    }
                } else if (e instanceof ClientEvent.SendContent) {
                    client.content(ByteBuffer.wrap(content));
                    client.endContent();
                } else if (e instanceof ClientEvent.Delivered d) {
                    results.add(d.result());
                } else if (e instanceof ClientEvent.Closed) {
                    closed = true;
                }
            }
            if (server.isClosed() && !closed) {
                client.connectionLost();
            }
        }

        assertEquals(1, delivered.size());
        assertArrayEquals(content, delivered.get(0));
        assertEquals(1, results.size());
        List<RecipientResult> each = results.get(0).recipients();
        assertEquals(List.of(BOB, FULL, NOBODY, CAROL), each.stream().map(r -> r.recipient().path()).toList());
        assertEquals(List.of(250, 452, 550, 250), each.stream().map(r -> r.reply().code()).toList());
        assertEquals(List.of(RecipientResult.Stage.DATA, RecipientResult.Stage.DATA, RecipientResult.Stage.RCPT,
                RecipientResult.Stage.DATA), each.stream().map(RecipientResult::stage).toList());
        assertEquals("4.2.2", each.get(1).reply().enhancedStatus());
    }
}
