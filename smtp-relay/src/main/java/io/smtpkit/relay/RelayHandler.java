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
import io.smtpkit.server.SmtpHandler;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays mail to a next hop while the client waits, speaking for the next hop in the session
 * (Haraka's {@code smtp_proxy}, aiosmtpd PR #41): what Python smtpd's {@code PureProxy} should
 * have been. The next hop's session opens at MAIL when the client may relay anywhere (else at
 * the first recipient the policy lets through); each RCPT is answered with the next hop's own
 * reply, code and enhanced code; the reply after the data is the next hop's, sent only once it
 * came. So a message is either taken by the next hop or still the client's, never accepted and
 * then lost, and a refused recipient is refused to the client, never printed and dropped.
 *
 * <p>Never an open relay by default (Postfix's {@code permit_mynetworks, permit_sasl_authenticated,
 * defer_unauth_destination}): a recipient is relayed when the client's address is in the
 * configured networks (loopback by default), when the client authenticated with this server's
 * AUTH, or when the recipient's domain is one the server accepts mail for; anything else gets
 * {@code 554 5.7.1 Relay access denied} at RCPT and never reaches the next hop.
 *
 * <p>Failures: a next hop that cannot be reached, times out or breaks off gives {@code 451 4.4.1}
 * or {@code 451 4.4.2} (the client retries); its own 4xx/5xx go to the client as they are; a
 * message that needs an extension the next hop lacks is refused before anything is sent
 * ({@code 553 5.6.7} for SMTPUTF8, {@code 554 5.6.3} for 8BITMIME or BINARYMIME, RFC 6531 §3.2,
 * RFC 6152 §3), and one larger than the next hop's SIZE gets {@code 552 5.3.4} before its data is
 * sent (RFC 1870 §6). The next hop receives the client's octets exactly, behind this server's
 * {@code Received:} header.
 *
 * <p>One transaction goes to one next hop: a recipient whose domain is routed elsewhere than the
 * transaction's earlier accepted recipients gets {@code 452 4.5.3} and the client sends it in a
 * later transaction (RFC 5321 §3.3), so the single reply after DATA is always true for every
 * recipient. The connection to a next hop is kept for the client session's next transaction
 * (RSET in between when one was abandoned) and closed with QUIT when the client leaves.
 *
 * <p>Hooks block on the next hop's replies, so this handler is not {@link SmtpHandler.NonBlocking}:
 * the server runs it on its hook workers, never on the event loop.
 */
public final class RelayHandler implements SmtpHandler {

    private static final Logger log = LoggerFactory.getLogger(RelayHandler.class);
    private static final Reply NO_ROUTE = Reply.of(550, "5.1.2", "No next hop for the recipient's domain");
    private static final Reply OTHER_HOP = Reply.of(452, "4.5.3",
            "Recipients for another next hop go in another transaction; send this one later");
    private static final Reply NEXT_HOP_TOO_BIG = Reply.of(552, "5.3.4", "Message size exceeds the next hop's fixed maximum message size");

    private final RelayConfig config;
    private final Map<String, Relayed> sessions = new ConcurrentHashMap<>();

    /** A relay with these settings; warns when they make it an open relay. */
    public RelayHandler(RelayConfig config) {
        this.config = config;
        if (config.isOpenRelay()) {
            log.warn("relay: the networks include every address: this server is an OPEN RELAY and will be abused "
                    + "by spammers unless something else stands in front of it");
        }
    }

    /** The settings. */
    public RelayConfig config() {
        return config;
    }

    @Override
    public Reply onMail(SessionContext session, MailPath reversePath, Map<String, String> parameters) {
        Relayed r = sessions.computeIfAbsent(session.id(), id -> new Relayed());
        r.abandon();
        r.envelope = envelope(reversePath, parameters);
        if (mayRelayAnywhere(session) && !config.hasRoutes()) {
            return r.open(config.upstream());
        }
        return null; // the next hop is known (or allowed) only per recipient
    }

    @Override
    public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
        Relayed r = sessions.get(session.id());
        if (r == null || r.envelope == null) {
            return Reply.LOCAL_ERROR; // the server calls onMail first; this is a broken promise
        }
        String domain = recipient.domain();
        if (!mayRelayAnywhere(session) && !config.acceptsFor(domain)) {
            return Reply.RELAY_DENIED;
        }
        NextHop hop = config.nextHopFor(domain);
        if (hop == null) {
            return NO_ROUTE;
        }
        if (r.open && !hop.equals(r.upstream.hop())) {
            if (r.accepted > 0) {
                return OTHER_HOP;
            }
            r.abandon(); // nothing accepted yet: follow this recipient to its own next hop
        }
        if (!r.open) {
            Reply mail = r.open(hop);
            if (mail == null || !mail.isPositive()) {
                return mail; // the next hop's MAIL refusal, or why it could not be reached
            }
        }
        Reply reply = r.upstream.rcpt(new Transaction.Recipient(recipient, parameters.get("NOTIFY"), parameters.get("ORCPT")));
        if (reply.isPositive()) {
            r.accepted++;
        } else if (r.upstream.failure() != null) {
            r.drop();
        }
        return reply;
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
        Relayed r = sessions.get(session.id());
        if (r == null || !r.open || r.accepted == 0) {
            return Reply.LOCAL_ERROR;
        }
        long max = r.upstream.capabilities().maxMessageSize();
        if (max > 0 && message.size() > max) {
            r.abandon();
            return NEXT_HOP_TOO_BIG;
        }
        TransactionResult result;
        try (InputStream content = message.openStream()) {
            result = r.upstream.data(content);
        } finally {
            r.open = false;
            r.accepted = 0;
        }
        if (result.failure() != null) {
            log.warn("relay: session {}: the message for {} was not delivered to {}: {}", session.id(),
                    envelope.recipientAddresses(), r.upstream.hop(), result.failure().detail());
            r.drop();
        } else {
            log.info("relay: session {}: {} → {}: {}", session.id(), envelope.recipientAddresses(), r.upstream.hop(), result.reply());
        }
        return result.reply();
    }

    @Override
    public void onClose(SessionContext session) {
        Relayed r = sessions.remove(session.id());
        if (r != null) {
            r.drop();
        }
    }

    private boolean mayRelayAnywhere(SessionContext session) {
        return session.authenticatedUser() != null || config.trusts(session.remoteAddress().getAddress());
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

    /** One client session's side of the relay: its connection to a next hop and the open transaction. */
    private final class Relayed {
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
                upstream = Upstream.connect(hop, config);
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
