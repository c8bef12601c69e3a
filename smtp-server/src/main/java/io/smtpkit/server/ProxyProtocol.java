package io.smtpkit.server;

import io.smtpkit.server.internal.Network;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * How a listener behind a TCP load balancer (HAProxy's {@code send-proxy} / {@code send-proxy-v2},
 * nginx's {@code proxy_protocol}, AWS NLB) learns each client's real address: from the PROXY
 * protocol header, version 1 or 2 (HAProxy's {@code doc/proxy-protocol.txt}), that the balancer
 * sends before the client's first octet. Given to {@link SmtpServer.Builder#listen(java.net.InetSocketAddress,
 * ProxyProtocol)} or {@code listenTls}: only those listeners read a header, and on them every connection must
 * start with one.
 *
 * <p>On such a listener a connection from outside the {@linkplain #from(Collection) trusted
 * networks}, one whose header is malformed or cut short, and one that sends no complete header
 * within the {@linkplain #headerTimeout(Duration) header timeout} is closed without a greeting,
 * and a line is logged. Once the header has arrived, the session, its {@code Received:} header,
 * the per-client limits, {@link SessionContext#remoteAddress()} and {@link SessionContext#localAddress()}
 * and the {@link ConnectionTap} all see the original client and the address it connected to; a
 * v2 {@code LOCAL} header (the balancer's health check) or v1 {@code UNKNOWN} keeps the real
 * endpoints. Under implicit TLS the header comes before the TLS handshake, as balancers send it.
 *
 * <p>Immutable; {@link #headerTimeout(Duration)} returns a copy.
 */
public final class ProxyProtocol {

    /** The networks trusted by default: the balancer runs on this host. */
    public static final List<String> LOOPBACK = List.of("127.0.0.1/32", "::1/128");

    private final List<Network> networks;
    private final Duration headerTimeout;

    private ProxyProtocol(List<Network> networks, Duration headerTimeout) {
        this.networks = networks;
        this.headerTimeout = headerTimeout;
    }

    /**
     * Trusts headers from these numeric networks ({@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a
     * bare address), the balancers' addresses; nothing is looked up by name. Header timeout 5 seconds.
     *
     * @throws IllegalArgumentException naming the first entry that is not a network, or if none is given
     */
    public static ProxyProtocol from(Collection<String> networks) {
        List<Network> parsed = new ArrayList<>();
        for (String network : Objects.requireNonNull(networks, "networks")) {
            parsed.add(Network.parse(Objects.requireNonNull(network, "network")));
        }
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("no network to accept PROXY headers from");
        }
        return new ProxyProtocol(List.copyOf(parsed), Duration.ofSeconds(5));
    }

    /** Trusts headers from {@link #LOOPBACK} only: a balancer on the same host. */
    public static ProxyProtocol fromLoopback() {
        return from(LOOPBACK);
    }

    /**
     * How long a new connection may take to send its whole header; then it is closed without a
     * greeting. A balancer sends the header at once with its connect, so a few seconds is plenty.
     * Default 5 seconds.
     *
     * @throws IllegalArgumentException if not positive
     */
    public ProxyProtocol headerTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("headerTimeout must be positive: " + timeout);
        }
        return new ProxyProtocol(networks, timeout);
    }

    /** The header timeout. */
    public Duration headerTimeout() {
        return headerTimeout;
    }

    /** Whether a connection from {@code peer} (the balancer, as the socket sees it) may send a header. */
    public boolean trusts(InetAddress peer) {
        for (Network network : networks) {
            if (network.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ProxyProtocol[from " + networks + ", header timeout " + headerTimeout + "]";
    }
}
