package io.smtpkit.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import io.smtpkit.server.testsupport.SmtpClient;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The harness runs a handler's hooks as the server does: same order, same arguments, same replies. */
class HandlerHarnessTest {

    /** A handler that writes down what it was asked and refuses one recipient and one sender. */
    static final class Recording implements SmtpHandler {
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch closed = new CountDownLatch(1);

        @Override
        public Reply onConnect(SessionContext session) {
            seen.add("connect");
            return null;
        }

        @Override
        public Reply onHello(SessionContext session, String domain, boolean extended) {
            seen.add((extended ? "ehlo " : "helo ") + domain);
            return null;
        }

        @Override
        public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
            seen.add("mail " + reversePath + " " + parameters);
            return reversePath.address().startsWith("spam") ? Reply.of(550, "5.7.1", "No spam") : null;
        }

        @Override
        public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
            seen.add("rcpt " + recipient + " in " + session.protocol().reversePath());
            return recipient.address().startsWith("nobody") ? Reply.MAILBOX_UNAVAILABLE : null;
        }

        @Override
        public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
            String text = new String(message.bytes(), StandardCharsets.UTF_8);
            seen.add("message " + envelope.recipientAddresses() + " starts with Received: " + text.startsWith("Received: ")
                    + " body " + text.substring(text.indexOf("\r\n\r\n") + 4).replace("\r\n", "|"));
            if (text.contains("explode")) {
                throw new IllegalStateException("handler failure");
            }
            return null;
        }

        @Override
        public void onClose(SessionContext session) {
            seen.add("close");
            closed.countDown();
        }
    }

    private static final List<String> CLIENT = List.of(
            "EHLO client.example",
            "MAIL FROM:<spammer@example.org>",
            "MAIL FROM:<alice@example.org> SIZE=100",
            "RCPT TO:<bob@example.org>",
            "RCPT TO:<nobody@example.org>",
            "RCPT TO:<carol@example.org> NOTIFY=NEVER",
            "DATA",
            "Subject: hi",
            "",
            "..leading dot",
            ".",
            "MAIL FROM:<alice@example.org>",
            "RCPT TO:<bob@example.org>",
            "DATA",
            "Subject: two",
            "",
            "explode",
            ".",
            "NOOP",
            "QUIT");

    @Test
    void sameHooksSameOrderSameRepliesAsTheServer() throws Exception {
        SessionConfig config = SessionConfig.builder().dsn(true).build();

        Recording inMemory = new Recording();
        HandlerHarness harness = HandlerHarness.builder(inMemory).config(config).build();
        List<List<Reply>> harnessReplies = new ArrayList<>();
        for (String line : CLIENT) {
            harnessReplies.add(harness.send(line));
        }

        Recording overSocket = new Recording();
        List<String> serverCodes = new ArrayList<>();
        try (SmtpServer server = SmtpServer.builder().listen(new InetSocketAddress("127.0.0.1", 0)).config(config)
                .handler(overSocket).build().start();
                SmtpClient client = SmtpClient.connect(server)) {
            assertThat(client.readReply().code()).isEqualTo(220);
            for (int i = 0; i < CLIENT.size(); i++) {
                client.send(CLIENT.get(i) + "\r\n");
                List<Integer> got = new ArrayList<>();
                for (int r = 0; r < harnessReplies.get(i).size(); r++) {
                    got.add(client.readReply().code());
                }
                serverCodes.add(got.toString());
            }
            assertThat(overSocket.closed.await(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(harness.replies().get(0).code()).isEqualTo(220);
        assertThat(codes(harnessReplies)).isEqualTo(serverCodes)
                .containsExactly("[250]", "[550]", "[250]", "[250]", "[550]", "[250]", "[354]", "[]", "[]", "[]",
                        "[250]", "[250]", "[250]", "[354]", "[]", "[]", "[]", "[451]", "[250]", "[221]");
        assertThat(inMemory.seen).isEqualTo(overSocket.seen).containsExactly(
                "connect",
                "ehlo client.example",
                "mail <spammer@example.org> {}",
                "mail <alice@example.org> {SIZE=100}",
                "rcpt <bob@example.org> in <alice@example.org>",
                "rcpt <nobody@example.org> in <alice@example.org>",
                "rcpt <carol@example.org> in <alice@example.org>",
                "message [bob@example.org, carol@example.org] starts with Received: true body .leading dot|",
                "mail <alice@example.org> {}",
                "rcpt <bob@example.org> in <alice@example.org>",
                "message [bob@example.org] starts with Received: true body explode|",
                "close");
        assertThat(harness.isClosed()).isTrue();
        assertThat(harness.calls()).contains("onMail(<spammer@example.org>, {}) -> 550 5.7.1 No spam")
                .contains("onRcpt(<carol@example.org>, {NOTIFY=NEVER}) -> default")
                .last().isEqualTo("onClose");
        assertThat(harness.messages()).hasSize(2);
        assertThat(harness.messages().get(0).recipients()).containsExactly("bob@example.org", "carol@example.org");
        assertThat(harness.messages().get(0).subject()).isEqualTo("hi");
    }

    @Test
    void underLmtpEachRecipientGetsTheHandlersOwnAnswer() {
        SmtpHandler perRecipient = new SmtpHandler() {
            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
                throw new AssertionError("under LMTP the harness asks per recipient");
            }

            @Override
            public List<Reply> onMessagePerRecipient(SessionContext session, Envelope envelope, Message message) {
                List<Reply> replies = new ArrayList<>();
                for (String r : envelope.recipientAddresses()) {
                    replies.add(r.startsWith("full") ? Reply.of(452, "4.2.2", "Mailbox full") : null);
                }
                return replies;
            }
        };
        HandlerHarness h = HandlerHarness.builder(perRecipient).config(SessionConfig.builder().lmtp(true).build()).build();
        assertThat(h.send("LHLO c").get(0).code()).isEqualTo(250);
        h.send("MAIL FROM:<a@example.org>", "RCPT TO:<one@example.org>", "RCPT TO:<full@example.org>", "DATA", "x");

        assertThat(h.send(".")).containsExactly(Reply.OK, Reply.of(452, "4.2.2", "Mailbox full"));
        assertThat(h.messages()).singleElement().satisfies(m -> assertThat(m.content()).contains("with LMTP"));
        assertThat(h.calls()).anyMatch(c -> c.startsWith("onMessagePerRecipient(") && c.endsWith("-> [default, 452 4.2.2 Mailbox full]"));
    }

    @Test
    void pipelinedInputAndEnhancedCodes() {
        HandlerHarness h = HandlerHarness.of((session, envelope, message) -> null);
        h.send("EHLO c");

        List<Reply> replies = h.sendRaw("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
                .getBytes(StandardCharsets.US_ASCII));

        assertThat(replies).containsExactly(Reply.SENDER_OK, Reply.RECIPIENT_OK, Reply.of(354, "End data with <CR><LF>.<CR><LF>"));
        assertThat(h.send("x", ".")).containsExactly(Reply.OK);
    }

    @Test
    void authAndStartTlsWithoutAHandshake() {
        HandlerHarness h = HandlerHarness.builder((session, envelope, message) -> null)
                .startTls()
                .authenticator((user, password) -> user.equals("alice") && password.equals("secret"))
                .build();

        assertThat(String.join("\n", h.send("EHLO c").get(0).lines())).contains("STARTTLS").doesNotContain("AUTH");
        assertThat(h.send("STARTTLS").get(0).code()).isEqualTo(220);
        assertThat(String.join("\n", h.send("EHLO c").get(0).lines())).contains("AUTH PLAIN LOGIN");
        // AUTH PLAIN \0alice\0wrong, then \0alice\0secret
        assertThat(h.send("AUTH PLAIN AGFsaWNlAHdyb25n").get(0).code()).isEqualTo(535);
        assertThat(h.send("AUTH PLAIN AGFsaWNlAHNlY3JldA==").get(0).code()).isEqualTo(235);
        h.send("MAIL FROM:<alice@example.org>", "RCPT TO:<b@example.org>", "DATA", "Subject: s", "", "x", ".");

        assertThat(h.messages()).singleElement().satisfies(m -> {
            assertThat(m.authenticatedUser()).isEqualTo("alice");
            assertThat(m.overTls()).isTrue();
            assertThat(m.content()).contains("with ESMTPSA");
        });
        assertThat(h.calls()).contains("authenticate(PLAIN, alice) -> 535 5.7.8 Authentication credentials invalid",
                "authenticate(PLAIN, alice) -> accepted");
        h.close();
        assertThat(h.calls()).last().isEqualTo("onClose");
    }

    private static List<String> codes(List<List<Reply>> replies) {
        return replies.stream().map(l -> l.stream().map(Reply::code).toList().toString()).toList();
    }
}
