package io.smtpkit.relay;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.client.ClientConfig;
import io.smtpkit.protocol.client.RecipientResult;
import io.smtpkit.protocol.client.Transaction;
import io.smtpkit.protocol.client.TransactionResult;
import io.smtpkit.relay.internal.DeliveryStatusNotification;
import io.smtpkit.relay.internal.Upstream;
import io.smtpkit.relay.queue.QueuedMessage;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands mailing-list mail to Mailman 3 over LMTP (RFC 2033) and relays the rest: what Python
 * smtpd's {@code MailmanProxy} should have been. A recipient the {@link MailingLists} claim goes
 * to the LMTP server (Mailman's runner, {@code 127.0.0.1:8024} by default), whose RCPT reply is the
 * client's; any other recipient goes exactly as {@link RelayHandler} sends it (same policy, same
 * options, same replies).
 *
 * <p>After the data the LMTP server answers per recipient; the client gets one reply (SMTP):
 * all taken → the LMTP server's {@code 250}; all refused → the first transient refusal if there is
 * one (so the client sends again and nothing is delivered twice), else the first refusal; some
 * taken, some refused → {@code 250}, and the sender gets a delivery status notification (RFC 3464,
 * from {@code <>}, never to the null reverse path) for the refused ones, sent through the relay's
 * next hop for the sender's domain. An LMTP server that cannot be reached gives {@code 451 4.4.1}.
 *
 * <p>One transaction goes to one side: once a list recipient is accepted, a recipient to be
 * relayed gets {@code 452 4.5.3} (and the other way round), and the client sends it in its next
 * transaction (RFC 5321 §3.3), so the single reply after the data is true for every recipient.
 * The LMTP server receives the client's octets exactly, behind this server's {@code Received:}
 * header: nothing is rewritten (no Subject prefix, no added Date).
 *
 * <p>With a queue ({@code -o queue=}, {@link QueuedRelayHandler}) the relayed side is store and
 * forward: a recipient to be relayed is answered by the relay policy, the message is queued
 * before the {@code 250} and delivered in the background; list mail still goes live to the LMTP
 * server (Mailman takes it or says why at once), and the notification for list recipients
 * refused after the data is queued too, so it is retried rather than lost.
 *
 * <p>Hooks block on the next hops' replies: not {@link SmtpHandler.NonBlocking}.
 */
public final class LmtpHandler implements SmtpHandler, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LmtpHandler.class);

    private final NextHop lmtp;
    private final MailingLists lists;
    private final RelayHandler relay;
    private final Forwarder forwarder;
    /** The relayed side's queue, or null: relayed live. */
    private final QueuedRelayHandler queue;
    /** Sessions whose open transaction goes to the queue (a relayed recipient was accepted). */
    private final Set<String> queuing = ConcurrentHashMap.newKeySet();
    /** Each session's declared SIZE, for the queue's room check at its first relayed recipient. */
    private final Map<String, Long> declared = new ConcurrentHashMap<>();

    /**
     * A handler sending list mail to {@code lmtp} and the rest through a relay set up by {@code relay}.
     *
     * @throws IllegalArgumentException when {@code lmtp} is also one of the relay's next hops (a
     *     connection is kept per next hop, and one cannot speak both SMTP and LMTP)
     */
    public LmtpHandler(NextHop lmtp, MailingLists lists, RelayConfig relay) {
        this(lmtp, lists, relay, null);
    }

    /**
     * As {@link #LmtpHandler(NextHop, MailingLists, RelayConfig)}, the relayed recipients queued
     * in {@code queue} (null: relayed live); closing this handler closes the queue.
     */
    public LmtpHandler(NextHop lmtp, MailingLists lists, RelayConfig relay, QueuedRelayHandler queue) {
        this.queue = queue;
        this.lmtp = Objects.requireNonNull(lmtp, "lmtp");
        this.lists = Objects.requireNonNull(lists, "lists");
        this.relay = new RelayHandler(relay);
        if (relay.sendsTo(lmtp)) {
            throw new IllegalArgumentException("the LMTP server " + lmtp + " is also a next hop of the relay");
        }
        ClientConfig lmtpClient = ClientConfig.builder().heloName(relay.heloName()).lmtp(true)
                .tls(ClientConfig.Tls.OFF).build(); // Mailman's runner listens on loopback, without TLS
        this.forwarder = new Forwarder(hop -> hop.equals(lmtp)
                ? Upstream.connect(hop, relay, lmtpClient)
                : Upstream.connect(hop, relay));
    }

    /** The LMTP server. */
    public NextHop lmtp() {
        return lmtp;
    }

    /** Which recipients are list mail. */
    public MailingLists lists() {
        return lists;
    }

    /** The settings for recipients that are not list mail. */
    public RelayConfig relayConfig() {
        return relay.config();
    }

    @Override
    public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
        if (queue != null) {
            queuing.remove(session.id());
            declared.put(session.id(), declaredSize(parameters));
        }
        return forwarder.mail(session, reversePath, parameters, null); // which side is known per recipient
    }

    @Override
    public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
        if (lists.contains(recipient)) {
            if (queuing.contains(session.id())) {
                return Forwarder.OTHER_HOP; // this transaction goes to the queue
            }
            return forwarder.rcpt(session, recipient, parameters, lmtp); // list mail is ours: no relay policy
        }
        RelayHandler.Route route = relay.route(session, recipient);
        if (route.refusal() != null) {
            return route.refusal();
        }
        if (queue == null) {
            return forwarder.rcpt(session, recipient, parameters, route.hop());
        }
        if (forwarder.hasRecipients(session)) {
            return Forwarder.OTHER_HOP; // this transaction goes to the LMTP server
        }
        if (!queuing.contains(session.id()) && !queue.hasRoom(declared.getOrDefault(session.id(), 0L))) {
            return QueuedRelayHandler.NO_ROOM;
        }
        queuing.add(session.id());
        return Reply.RECIPIENT_OK;
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
        if (queue != null && queuing.remove(session.id())) {
            return queue.onMessage(session, envelope, message);
        }
        ZonedDateTime arrival = ZonedDateTime.now();
        Forwarder.Delivery delivery = forwarder.message(session, envelope, message);
        TransactionResult result = delivery.result();
        if (!lmtp.equals(delivery.hop()) || result.failure() != null) {
            return result.reply();
        }
        List<RecipientResult> verdicts = result.recipients().stream()
                .filter(r -> r.stage() != RecipientResult.Stage.RCPT).toList(); // those the client was refused at RCPT
        List<RecipientResult> refused = verdicts.stream().filter(r -> !r.delivered()).toList();
        if (refused.isEmpty() || verdicts.isEmpty()) {
            return result.reply();
        }
        if (refused.size() == verdicts.size()) {
            return refused.stream().map(RecipientResult::reply).filter(Reply::isTransient).findFirst()
                    .orElse(refused.get(0).reply());
        }
        int taken = verdicts.size() - refused.size();
        MailPath sender = envelope.reversePath();
        if (!DeliveryStatusNotification.mayBeSentTo(sender)) {
            log.warn("lmtp: session {}: refused after the data {}, no notification to the null reverse path", session.id(),
                    refused.stream().map(r -> r.recipient().path().address() + " " + r.reply()).toList());
            return Reply.of(250, "2.0.0", "Delivered to " + taken + " of " + verdicts.size() + " recipients");
        }
        List<DeliveryStatusNotification.Failed> failed = refused.stream().map(r -> new DeliveryStatusNotification.Failed(
                r.recipient().path(), r.recipient().originalRecipient(), r.reply())).toList();
        byte[] header;
        try (InputStream content = message.openStream()) {
            header = DeliveryStatusNotification.headerOf(content);
        }
        DeliveryStatusNotification dsn = new DeliveryStatusNotification(relay.config().heloName(), lmtp.host(), arrival,
                failed, header);
        notifySender(session, sender, dsn);
        return Reply.of(250, "2.0.0", "Delivered to " + taken + " of " + verdicts.size()
                + " recipients; the others are reported to the sender");
    }

    /**
     * Sends the notification through the relay. It cannot change the client's answer any more:
     * the message is delivered to some recipients, and a 4xx would deliver it to them twice.
     */
    private void notifySender(SessionContext session, MailPath sender, DeliveryStatusNotification dsn) {
        if (queue != null) {
            try {
                QueuedMessage queued = queue.enqueueNotification(sender, dsn);
                log.info("lmtp: session {}: delivery status notification to {} queued as {}", session.id(), sender, queued.id());
                return;
            } catch (IOException e) {
                log.error("lmtp: session {}: the delivery status notification to {} could not be queued, sending it now: {}",
                        session.id(), sender, e.toString());
            }
        }
        NextHop hop = relay.config().nextHopFor(sender.domain());
        if (hop == null) {
            log.error("lmtp: session {}: no next hop for {}: the delivery status notification is lost", session.id(), sender);
            return;
        }
        Transaction t = Transaction.from(MailPath.NULL).to(sender)
                .body(dsn.isEightBit() ? BodyType.EIGHT_BIT_MIME : BodyType.SEVEN_BIT).build();
        try (Upstream u = Upstream.connect(hop, relay.config())) {
            TransactionResult sent = u.send(t, new ByteArrayInputStream(dsn.toMessage(sender, ZonedDateTime.now())));
            if (sent.deliveredToAll()) {
                log.info("lmtp: session {}: delivery status notification to {} → {}: {}", session.id(), sender, hop, sent.reply());
            } else {
                log.error("lmtp: session {}: the delivery status notification to {} was refused by {}: {}", session.id(),
                        sender, hop, sent.reply());
            }
        } catch (IOException | RuntimeException e) {
            log.error("lmtp: session {}: the delivery status notification to {} could not be sent: {}", session.id(), sender,
                    e.toString());
        }
    }

    @Override
    public void onClose(SessionContext session) {
        forwarder.close(session);
        queuing.remove(session.id());
        declared.remove(session.id());
    }

    /** Stops the queue's runner and closes its store, when there is a queue. */
    @Override
    public void close() throws IOException {
        if (queue != null) {
            queue.close();
        }
    }

    private static long declaredSize(Map<String, String> parameters) {
        try {
            return Long.parseLong(parameters.getOrDefault("SIZE", "0"));
        } catch (NumberFormatException e) {
            return 0; // the session checked the syntax; too large to parse is checked after the data
        }
    }
}
