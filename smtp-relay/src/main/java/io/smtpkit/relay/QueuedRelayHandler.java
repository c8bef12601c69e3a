package io.smtpkit.relay;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.relay.internal.DeliveryStatusNotification;
import io.smtpkit.relay.queue.QueueConfig;
import io.smtpkit.relay.queue.QueueRunner;
import io.smtpkit.relay.queue.QueueStore;
import io.smtpkit.relay.queue.QueuedEnvelope;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code relay} handler in queue mode ({@code -o queue=DIR}): store and forward. RCPT is
 * answered by the relay policy alone (networks, AUTH, domains, as {@link RelayHandler} does;
 * never an open relay), not by the next hop; the 250 after the data is sent once the message is
 * durable in the {@link QueueStore} (RFC 5321 §6.1), and a {@link QueueRunner} delivers it in the
 * background, retrying and notifying the sender as Postfix would. When the store has no room left
 * above its reserve, MAIL and the end of the data get {@code 452 4.3.1} instead.
 *
 * <p>The hooks block on the disk (the fsyncs of the enqueue), so this handler is not
 * {@link SmtpHandler.NonBlocking}. Closing it stops the runner and closes the store.
 */
public final class QueuedRelayHandler implements SmtpHandler, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QueuedRelayHandler.class);
    static final Reply NO_ROOM = Reply.of(452, "4.3.1", "Insufficient system storage; try again later");

    private final RelayHandler policy;
    private final QueueStore store;
    private final QueueRunner runner;

    /** Takes mail into {@code store} and starts delivering from it. */
    public QueuedRelayHandler(RelayConfig config, QueueStore store, QueueConfig queue) {
        this.policy = new RelayHandler(config);
        this.store = store;
        this.runner = new QueueRunner(store, config, queue).start();
    }

    /** The store mail is queued in. */
    public QueueStore store() {
        return store;
    }

    @Override
    public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
        long declared = 0;
        try {
            declared = Long.parseLong(parameters.getOrDefault("SIZE", "0"));
        } catch (NumberFormatException e) {
            declared = 0; // the session checked the syntax; too large to parse is checked after the data
        }
        return hasRoom(declared) ? null : NO_ROOM;
    }

    @Override
    public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
        RelayHandler.Route route = policy.route(session, recipient);
        return route.refusal() != null ? route.refusal() : Reply.RECIPIENT_OK;
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws IOException {
        if (!hasRoom(message.size())) {
            return NO_ROOM;
        }
        List<QueuedEnvelope.Recipient> recipients = new ArrayList<>();
        for (int i = 0; i < envelope.recipients().size(); i++) {
            recipients.add(new QueuedEnvelope.Recipient(envelope.recipients().get(i).address(),
                    envelope.recipientParameters().get(i)));
        }
        QueuedMessage queued;
        try (InputStream content = message.openStream()) {
            queued = store.enqueue(new QueuedEnvelope(envelope.reversePath().address(), envelope.mailParameters(), recipients),
                    content);
        }
        runner.wake();
        log.info("queue: session {}: <{}> → {} queued as {}", session.id(), envelope.reversePath().address(),
                envelope.recipientAddresses(), queued.id());
        return Reply.of(250, "2.0.0", "Ok: queued as " + queued.id());
    }

    /**
     * Queues a delivery status notification to {@code sender} from {@code <>} (the lmtp handler's
     * for list recipients refused after the data), so it is retried like any queued mail.
     */
    QueuedMessage enqueueNotification(MailPath sender, DeliveryStatusNotification dsn) throws IOException {
        Map<String, String> params = dsn.isEightBit() ? Map.of("BODY", "8BITMIME") : Map.of();
        byte[] message = dsn.toMessage(sender, ZonedDateTime.now());
        QueuedMessage queued = store.enqueue(new QueuedEnvelope("", params,
                List.of(new QueuedEnvelope.Recipient(sender.address(), Map.of()))), new ByteArrayInputStream(message));
        runner.wake();
        return queued;
    }

    boolean hasRoom(long size) {
        try {
            return store.hasRoom(size);
        } catch (IOException e) {
            log.warn("queue: cannot tell the free space: {}", e.toString());
            return false;
        }
    }

    /** Stops the runner (deliveries in progress finish) and closes the store. */
    @Override
    public void close() throws IOException {
        try {
            runner.close();
        } finally {
            store.close();
        }
    }
}
