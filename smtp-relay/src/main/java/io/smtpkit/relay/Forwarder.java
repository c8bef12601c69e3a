package io.smtpkit.relay;

import io.smtpkit.protocol.BodyType;
import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.client.Transaction;
import io.smtpkit.protocol.client.TransactionResult;
import io.smtpkit.relay.internal.Upstream;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live forwarding that {@link RelayHandler} and {@link LmtpHandler} share: per client session
 * one connection to a next hop, one next-hop transaction per client transaction, each RCPT
 * answered by the next hop. The handlers decide where a recipient goes and what the client hears
 * after the data; this class keeps the connection and the open transaction.
 */
final class Forwarder {

    private static final Logger log = LoggerFactory.getLogger(Forwarder.class);
    static final Reply OTHER_HOP = Reply.of(452, "4.5.3",
            "Recipients for another next hop go in another transaction; send this one later");
    private static final Reply NEXT_HOP_TOO_BIG = Reply.of(552, "5.3.4", "Message size exceeds the next hop's fixed maximum message size");

    /** What became of a message: where it went ({@code null} when it went nowhere) and the next hop's result. */
    record Delivery(NextHop hop, TransactionResult result) {

        static Delivery refused(Reply reply) {
            return new Delivery(null, new TransactionResult(List.of(), null, reply, null));
        }
    }

    private final Function<NextHop, Upstream> connect;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    /** {@code connect} opens a connection to a next hop (SMTP or LMTP, as the hop needs). */
    Forwarder(Function<NextHop, Upstream> connect) {
        this.connect = connect;
    }

    /** A new client transaction; opens it at {@code hop} at once when it is known already ({@code null}: per recipient). */
    Reply mail(SessionContext context, MailPath reversePath, Map<String, String> parameters, NextHop hop) {
        Session s = sessions.computeIfAbsent(context.id(), id -> new Session());
        s.abandon();
        s.envelope = envelope(reversePath, parameters);
        return hop == null ? null : s.open(hop);
    }

    /**
     * One recipient the handler sends to {@code hop}: the next hop's reply, or {@code 452 4.5.3}
     * when the transaction's accepted recipients go elsewhere (RFC 5321 §3.3: sent again later).
     */
    Reply rcpt(SessionContext context, MailPath recipient, Map<String, String> parameters, NextHop hop) {
        Session s = sessions.get(context.id());
        if (s == null || s.envelope == null) {
            return Reply.LOCAL_ERROR; // the server calls onMail first; this is a broken promise
        }
        if (s.open && !hop.equals(s.upstream.hop())) {
            if (s.accepted > 0) {
                return OTHER_HOP;
            }
            s.abandon(); // nothing accepted yet: follow this recipient to its own next hop
        }
        if (!s.open) {
            Reply mail = s.open(hop);
            if (mail == null || !mail.isPositive()) {
                return mail; // the next hop's MAIL refusal, or why it could not be reached
            }
        }
        Reply reply = s.upstream.rcpt(new Transaction.Recipient(recipient, parameters.get("NOTIFY"), parameters.get("ORCPT")));
        if (reply.isPositive()) {
            s.accepted++;
        } else if (s.upstream.failure() != null) {
            s.drop();
        }
        return reply;
    }

    /** True if the client's open transaction has recipients the next hop accepted. */
    boolean hasRecipients(SessionContext context) {
        Session s = sessions.get(context.id());
        return s != null && s.open && s.accepted > 0;
    }

    /** Sends the message's octets to the open transaction's next hop and says what it made of them. */
    Delivery message(SessionContext context, Envelope envelope, Message message) throws IOException {
        Session s = sessions.get(context.id());
        if (s == null || !s.open || s.accepted == 0) {
            return Delivery.refused(Reply.LOCAL_ERROR);
        }
        NextHop hop = s.upstream.hop();
        long max = s.upstream.capabilities().maxMessageSize();
        if (max > 0 && message.size() > max) {
            s.abandon();
            return Delivery.refused(NEXT_HOP_TOO_BIG);
        }
        TransactionResult result;
        try (InputStream content = message.openStream()) {
            result = s.upstream.data(content);
        } finally {
            s.open = false;
            s.accepted = 0;
        }
        if (result.failure() != null) {
            log.warn("relay: session {}: the message for {} was not delivered to {}: {}", context.id(),
                    envelope.recipientAddresses(), hop, result.failure().detail());
            s.drop();
        } else {
            log.info("relay: session {}: {} → {}: {}", context.id(), envelope.recipientAddresses(), hop, result.reply());
        }
        return new Delivery(hop, result);
    }

    /** The client left: QUIT to the next hop. */
    void close(SessionContext context) {
        Session s = sessions.remove(context.id());
        if (s != null) {
            s.drop();
        }
    }

    private static Transaction envelope(MailPath reversePath, Map<String, String> parameters) {
        String body = parameters.getOrDefault("BODY", "7BIT");
        BodyType type = switch (body == null ? "" : body.toUpperCase(Locale.ROOT)) {
            case "8BITMIME" -> BodyType.EIGHT_BIT_MIME;
            case "BINARYMIME" -> BodyType.BINARY_MIME;
            default -> BodyType.SEVEN_BIT;
        };
        long size = -1;
        String declared = parameters.get("SIZE");
        if (declared != null) {
            try {
                size = Long.parseLong(declared);
            } catch (NumberFormatException e) {
                size = -1; // the session checked SIZE's syntax; a value too large to parse is unknown
            }
        }
        return Transaction.from(reversePath).body(type).smtpUtf8(parameters.containsKey("SMTPUTF8")).size(size)
                .dsn(parameters.get("RET"), parameters.get("ENVID")).build();
    }

    /** One client session's side: its connection to a next hop and the open transaction. */
    private final class Session {
        Upstream upstream;
        Transaction envelope;
        boolean open;
        int accepted;

        /** Opens a transaction at {@code hop}, reusing the connection when it goes there. */
        Reply open(NextHop hop) {
            if (upstream != null && !(upstream.hop().equals(hop) && upstream.isReady())) {
                drop();
            }
            if (upstream == null) {
                upstream = connect.apply(hop);
            }
            Reply reply = upstream.mail(envelope);
            if (reply.isPositive()) {
                open = true;
                accepted = 0;
            } else if (upstream.failure() != null) {
                drop(); // the failure is logged where it happened
            }
            return reply;
        }

        /** Abandons the open transaction at the next hop, keeping the connection. */
        void abandon() {
            if (open && upstream != null) {
                upstream.reset();
            }
            open = false;
            accepted = 0;
        }

        /** Closes the connection to the next hop. */
        void drop() {
            if (upstream != null) {
                upstream.close();
                upstream = null;
            }
            open = false;
            accepted = 0;
        }
    }
}
