package io.smtpkit.relay;

import io.smtpkit.protocol.Envelope;
import io.smtpkit.protocol.MailPath;
import io.smtpkit.protocol.Reply;
import io.smtpkit.relay.internal.Upstream;
import io.smtpkit.server.Message;
import io.smtpkit.server.SessionContext;
import io.smtpkit.server.SmtpHandler;
import java.util.Map;
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

    private final RelayConfig config;
    private final Forwarder forwarder;

    /** A relay with these settings; warns when they make it an open relay. */
    public RelayHandler(RelayConfig config) {
        this.config = config;
        this.forwarder = new Forwarder(hop -> Upstream.connect(hop, config));
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
        NextHop known = mayRelayAnywhere(session) && !config.hasRoutes() ? config.upstream() : null;
        return forwarder.mail(session, reversePath, parameters, known);
    }

    @Override
    public Reply onRcpt(SessionContext session, MailPath recipient, Map<String, String> parameters) {
        Route route = route(session, recipient);
        return route.refusal() != null ? route.refusal() : forwarder.rcpt(session, recipient, parameters, route.hop());
    }

    @Override
    public Reply onMessage(SessionContext session, Envelope envelope, Message message) throws Exception {
        return forwarder.message(session, envelope, message).result().reply();
    }

    @Override
    public void onClose(SessionContext session) {
        forwarder.close(session);
    }

    /** Where the relay policy sends a recipient: a next hop, or the refusal for the client. */
    record Route(NextHop hop, Reply refusal) {}

    /** The relay policy for one recipient (also the {@code lmtp} handler's, for recipients that are not list mail). */
    Route route(SessionContext session, MailPath recipient) {
        String domain = recipient.domain();
        if (!mayRelayAnywhere(session) && !config.acceptsFor(domain)) {
            return new Route(null, Reply.RELAY_DENIED);
        }
        NextHop hop = config.nextHopFor(domain);
        return hop == null ? new Route(null, NO_ROUTE) : new Route(hop, null);
    }

    private boolean mayRelayAnywhere(SessionContext session) {
        return session.authenticatedUser() != null || config.trusts(session.remoteAddress().getAddress());
    }
}
