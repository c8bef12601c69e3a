package io.smtpkit.protocol.client;

import static io.smtpkit.protocol.FuzzSupport.check;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.MailPath;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Plays the client's owner against any server bytes, for the property and fuzz tests: answers
 * every event as a transport would (a random transaction or QUIT when ready, a random handshake
 * outcome, a little content), records output and events, and checks the promises that hold for
 * any server: no event after Closed, one Closed, one outcome per transaction, a verdict for every
 * recipient. The choices come from a seed, so two runs fed the same bytes differently must agree.
 */
final class ClientDriver {

    private static final ByteBuffer CONTENT = ByteBuffer.wrap(".x\r\n".getBytes(StandardCharsets.US_ASCII)).asReadOnlyBuffer();

    private final ClientSession session;
    private final SplittableRandom random;
    private final ClientTranscript.Recorder recorder = new ClientTranscript.Recorder();
    private int started;
    private int outcomes;
    private int closes;
    // A stepwise transaction (mail, rcpt..., data or reset) is open; its outcome is not counted,
    // since a refused MAIL or a reset ends it without one.
    private boolean stepwise;
    private int stepwiseRecipients;
    private boolean stepwiseAccepted;

    ClientDriver(ClientConfig config, boolean secure, long seed) {
        this.session = new ClientSession(config);
        if (secure) {
            session.startSecure();
        }
        this.random = new SplittableRandom(seed);
        drive();
    }

    /** Feeds one read of server bytes and answers what follows. */
    void feed(ByteBuffer bytes) {
        session.receive(bytes);
        check(!bytes.hasRemaining(), "receive() left input unread");
        drive();
    }

    /** The server goes away; then the promises are checked. Returns the recorded output and events. */
    java.util.List<String> end() {
        session.connectionLost();
        drive();
        check(session.state() == ClientState.CLOSED, () -> "not closed after the connection was lost: " + session.state());
        check(closes == 1, () -> closes + " Closed events");
        check(started == outcomes, () -> started + " transactions, " + outcomes + " outcomes");
        check(session.waiting() == null, "a closed session waits for nothing");
        return recorder.finish();
    }

    /**
     * The part of a recording that cannot depend on how the reads were cut: up to the first
     * STARTTLS. After it, which bytes were read with the 220 (and dropped as plaintext injection,
     * RFC 3207 §4.2) and which came after the handshake does depend on the cut, as on a network.
     */
    static java.util.List<String> untilTls(java.util.List<String> recording) {
        int tls = recording.indexOf("E: starttls");
        return tls < 0 ? recording : recording.subList(0, tls + 1);
    }

    private void drive() {
        while (true) {
            recorder.output(session.takeOutput());
            ClientEvent e = session.next();
            if (e instanceof ClientEvent.NeedData || e instanceof ClientEvent.Paused) {
                return;
            }
            check(closes == 0, () -> "an event after Closed: " + e);
            recorder.event(render(e));
            if (e instanceof ClientEvent.Ready) {
                check(session.state() == ClientState.READY, () -> "Ready in " + session.state());
                stepwise = false;
                if (random.nextInt(5) == 0) {
                    session.quit();
                } else if (random.nextInt(3) == 0) {
                    stepwise = true;
                    stepwiseRecipients = 0;
                    stepwiseAccepted = false;
                    session.mail(Transaction.from(new MailPath("a", "example.org")).body(BodyType.values()[random.nextInt(3)])
                            .size(random.nextInt(20) - 1).smtpUtf8(random.nextInt(4) == 0).build());
                } else {
                    Transaction.Builder t = Transaction.from(new MailPath("a", "example.org"))
                            .body(BodyType.values()[random.nextInt(3)]).size(random.nextInt(20) - 1)
                            .smtpUtf8(random.nextInt(4) == 0).dsn(random.nextBoolean() ? "HDRS" : null, null);
                    for (int i = random.nextInt(3); i >= 0; i--) {
                        t.to(new Transaction.Recipient(new MailPath("r" + i, "example.org"), random.nextBoolean() ? "NEVER" : null, null));
                    }
                    started++;
                    session.send(t.build());
                }
            } else if (e instanceof ClientEvent.StartTls) {
                check(session.state() == ClientState.TLS_HANDSHAKE, () -> "StartTls in " + session.state());
                session.tlsStarted(random.nextInt(4) != 0);
            } else if (e instanceof ClientEvent.SendContent) {
                check(session.acceptsContent(), "SendContent but no content accepted");
                session.content(CONTENT.duplicate());
                if (session.acceptsContent() && random.nextBoolean()) {
                    session.endContent();
                }
            } else if (e instanceof ClientEvent.Replied r) {
                check(stepwise, "Replied outside a stepwise transaction");
                if (session.inStepwiseTransaction()) {
                    stepwiseAccepted |= stepwiseRecipients > 0 && r.reply().isPositive();
                    int choice = random.nextInt(4);
                    if (stepwiseAccepted && choice == 0) {
                        session.data();
                    } else if (choice == 1 || stepwiseRecipients >= 3) {
                        session.reset();
                    } else {
                        stepwiseRecipients++;
                        session.rcpt(Transaction.Recipient.of(new MailPath("s" + stepwiseRecipients, "example.org")));
                    }
                }
            } else if (e instanceof ClientEvent.Delivered d) {
                if (!stepwise) {
                    outcomes++;
                    check(outcomes <= started, "an outcome for no transaction");
                }
            } else if (e instanceof ClientEvent.Closed) {
                closes++;
                check(session.state() == ClientState.CLOSED, () -> "Closed in " + session.state());
            }
        }
    }

    private static String render(ClientEvent e) {
        if (e instanceof ClientEvent.Delivered d) {
            // Every recipient has a verdict and a stage (the records refuse nulls); render them all.
            return ClientTranscript.render(e) + " " + d.result().recipients().size();
        }
        return ClientTranscript.render(e);
    }
}
