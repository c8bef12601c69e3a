package io.smtpkit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smtpkit.protocol.Decision;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.protocol.transcript.Transcript;
import io.smtpkit.server.testsupport.SmtpClient;
import io.smtpkit.server.testsupport.TestTls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The protocol module's golden transcripts (smtp-protocol's test-jar), replayed against the real
 * server over a socket: the same events must come out of the wire as out of the in-memory
 * session. Consecutive client lines go out in one write (pipelined), as the format says.
 */
class TranscriptReplayTest {

    static Stream<Transcript> transcripts() {
        return Transcript.loadAll().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transcripts")
    void replay(Transcript transcript) throws Exception {
        SessionConfig config = transcript.sessionConfig();
        Transcript.Script script = transcript.script();
        // The server's Authenticator answers yes or no; a transcript that answers AUTH with
        // another reply cannot be played through it.
        for (Transcript.Step step : transcript.steps()) {
            if (step instanceof Transcript.Answer a && a.kind() == Transcript.DecisionKind.AUTH && a.reply() != null
                    && !a.reply().equals(Reply.AUTHENTICATION_SUCCEEDED)) {
                Assumptions.abort("AUTH answered with " + a.reply() + ": not expressible through Authenticator");
            }
        }
        BlockingQueue<byte[]> delivered = new LinkedBlockingQueue<>();
        SmtpHandler handler = new SmtpHandler() {
            @Override
            public Reply onConnect(SessionContext session) {
                return script.answer(new Decision.Connect());
            }

            @Override
            public Reply onHello(SessionContext session, String domain, boolean extended) {
                return script.answer(new Decision.Hello(domain, extended));
            }

            @Override
            public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
                return script.answer(new Decision.Mail(reversePath, parameters));
            }

            @Override
            public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
                return script.answer(new Decision.Rcpt(recipient, parameters));
            }

            @Override
            public Reply onMessage(SessionContext session, Envelope envelope, Message message) {
                throw new AssertionError("the server calls onMessagePerRecipient, whose default calls this");
            }

            /** Both forms of the answer come through here: D: DELIVERY lines, else D: MESSAGE for all. */
            @Override
            public List<Reply> onMessagePerRecipient(SessionContext session, Envelope envelope, Message message)
                    throws Exception {
                delivered.add(message.bytes());
                Decision.Message decision = new Decision.Message(envelope, message.size());
                List<Reply> perRecipient = script.answerPerRecipient(decision);
                return perRecipient != null ? perRecipient
                        : Collections.nCopies(envelope.recipients().size(), script.answer(decision));
            }
        };
        boolean timeout = transcript.steps().stream().anyMatch(s -> s instanceof Transcript.Timeout);
        SmtpServer.Builder builder = TestSupport.server(handler).config(config).receivedHeader(false)
                .idleTimeout(timeout ? Duration.ofMillis(300) : Duration.ofMinutes(1));
        if (config.startTls()) {
            builder.tls(TestSupport.serverTls());
        }
        if (config.authentication()) {
            builder.authenticator((user, password) -> Reply.AUTHENTICATION_SUCCEEDED.equals(
                    script.answer(new Decision.Authenticate("PLAIN", "", user, password))))
                    .authFailureDelay(Duration.ZERO); // the transcripts have no delay to replay
        }
        List<String> events = new ArrayList<>();
        try (SmtpServer server = builder.build().start(); SmtpClient wire = SmtpClient.connect(server)) {
            ByteArrayOutputStream pending = new ByteArrayOutputStream();
            for (Transcript.Step step : transcript.steps()) {
                if (step instanceof Transcript.Send send) {
                    pending.writeBytes(send.bytes());
                    continue;
                }
                if (step instanceof Transcript.Answer) {
                    continue;
                }
                write(wire, pending.toByteArray());
                pending.reset();
                if (step instanceof Transcript.ExpectReply) {
                    byte[] line = wire.readLine();
                    events.add(line == null ? Transcript.CLOSE_EVENT : Transcript.replyEvent(line));
                } else if (step instanceof Transcript.ExpectClose) {
                    byte[] line = wire.readLine();
                    events.add(line == null ? Transcript.CLOSE_EVENT : Transcript.replyEvent(line));
                } else if (step instanceof Transcript.ExpectMessage) {
                    byte[] message = delivered.poll(20, TimeUnit.SECONDS);
                    events.add(message == null ? "no message" : Transcript.messageEvent(message));
                } else if (step instanceof Transcript.Tls tls) {
                    events.add(Transcript.STARTTLS_EVENT);
                    if (tls.success()) {
                        wire.startTls(TestTls.trustAll());
                    } else {
                        write(wire, "this is not a TLS ClientHello\r\n".getBytes());
                    }
                }
                // Transcript.Timeout: nothing to do but wait; the next S: line reads the 421.
            }
            write(wire, pending.toByteArray());
            // Nothing more may come after the last expected reply: an extra one is an event the
            // transcript does not list, so the comparison below fails on it.
            for (byte[] extra : wire.linesWithin(java.time.Duration.ofMillis(300))) {
                events.add(Transcript.replyEvent(extra));
            }
        }
        drain(delivered, events);
        assertEquals(Transcript.render(transcript.expectedEvents()), Transcript.render(events));
    }

    private static void drain(BlockingQueue<byte[]> delivered, List<String> events) {
        byte[] message;
        while ((message = delivered.poll()) != null) {
            events.add(Transcript.messageEvent(message));
        }
    }

    /** Writes what the client sends; the server may have closed, and input after a close "must be ignored". */
    private static void write(SmtpClient wire, byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        try {
            wire.send(bytes);
        } catch (IOException e) {
            // closed by the server
        }
    }
}
