package io.smtpkit.relay;

import io.smtpkit.protocol.client.ClientConfig;
import io.smtpkit.protocol.client.Wait;
import io.smtpkit.relay.internal.Cidr;
import io.smtpkit.relay.internal.TlsContexts;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;

/**
 * The settings of a {@link RelayHandler}: where mail goes, how the relay talks to it, and whom it
 * relays for. Built with {@link #builder()}; the {@code relay} handler's {@code -o} options map
 * one to one onto the builder's methods. Immutable; the password never appears in
 * {@link #toString()}.
 */
public final class RelayConfig {

    private final NextHop upstream;
    private final Map<String, NextHop> routes;
    private final String heloName;
    private final ClientConfig.Tls tls;
    private final SSLContext trust;
    private final boolean verify;
    private final String user;
    private final String password;
    private final boolean insecureAuth;
    private final List<Cidr> networks;
    private final Set<String> domains;
    private final Duration connectTimeout;
    private final Map<Wait, Duration> timeouts;

    private RelayConfig(Builder b) {
        this.upstream = b.upstream;
        this.routes = Map.copyOf(b.routes);
        this.heloName = b.heloName;
        this.tls = b.tls;
        this.trust = b.trust;
        this.verify = b.verify;
        this.user = b.user;
        this.password = b.password;
        this.insecureAuth = b.insecureAuth;
        this.networks = List.copyOf(b.networks);
        this.domains = Set.copyOf(b.domains);
        this.connectTimeout = b.connectTimeout;
        this.timeouts = new EnumMap<>(b.timeouts);
    }

    /** A builder with the defaults: no upstream yet, opportunistic TLS, relaying for loopback only. */
    public static Builder builder() {
        return new Builder();
    }

    /** The next hop for recipients no route names, or {@code null} when only routes are set. */
    public NextHop upstream() {
        return upstream;
    }

    /** The next hop for a recipient domain (a route, else the upstream), or {@code null}. */
    public NextHop nextHopFor(String domain) {
        NextHop routed = domain == null ? null : routes.get(domain.toLowerCase(Locale.ROOT));
        return routed != null ? routed : upstream;
    }

    /** True when {@code hop} is the upstream or some route's next hop. */
    public boolean sendsTo(NextHop hop) {
        return hop.equals(upstream) || routes.containsValue(hop);
    }

    /** True when some domain has its own route: then the next hop is known only at RCPT. */
    public boolean hasRoutes() {
        return !routes.isEmpty();
    }

    /** The name the relay gives in EHLO. */
    public String heloName() {
        return heloName;
    }

    /** STARTTLS towards the next hop. */
    public ClientConfig.Tls tls() {
        return tls;
    }

    /**
     * The TLS context for a STARTTLS: for {@code required} with verification, the trust store
     * (the JDK's, or the one given); otherwise one that checks no certificate.
     */
    public SSLContext tlsContext() {
        return tls == ClientConfig.Tls.REQUIRED && verify ? trust : TlsContexts.unverified();
    }

    /** True when the next hop's certificate and host name are checked (only with {@code tls=required}). */
    public boolean verifiesCertificates() {
        return tls == ClientConfig.Tls.REQUIRED && verify;
    }

    /** The settings of one client session towards a next hop. */
    public ClientConfig clientConfig() {
        ClientConfig.Builder b = ClientConfig.builder().heloName(heloName).tls(tls).allowInsecureAuth(insecureAuth);
        if (user != null) {
            b.credentials(user, password);
        }
        return b.build();
    }

    /** True if the relay authenticates to its next hops. */
    public boolean authenticates() {
        return user != null;
    }

    /** True if a client at {@code address} may relay to any domain. */
    public boolean trusts(InetAddress address) {
        return networks.stream().anyMatch(n -> n.contains(address));
    }

    /** True if some network of the policy holds every address: an open relay. */
    public boolean isOpenRelay() {
        return networks.stream().anyMatch(Cidr::isEverything);
    }

    /** True if mail for {@code domain} is taken from anyone (a domain this server accepts mail for). */
    public boolean acceptsFor(String domain) {
        return domain != null && domains.contains(domain.toLowerCase(Locale.ROOT));
    }

    /** How long to wait for the TCP connection. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** How long to wait for {@code wait}: as set, else RFC 5321 §4.5.3.2's value. */
    public Duration timeout(Wait wait) {
        return timeouts.getOrDefault(wait, wait.defaultTimeout());
    }

    @Override
    public String toString() {
        return "RelayConfig[upstream=" + upstream + ", routes=" + routes + ", helo=" + heloName + ", tls=" + tls
                + (verifiesCertificates() ? "" : ", unverified") + (user != null ? ", auth-user=" + user : "")
                + ", networks=" + networks + ", domains=" + domains + "]";
    }

    /** Builds a {@link RelayConfig}. */
    public static final class Builder {
        private NextHop upstream;
        private final Map<String, NextHop> routes = new LinkedHashMap<>();
        private String heloName = "localhost";
        private ClientConfig.Tls tls = ClientConfig.Tls.OPPORTUNISTIC;
        private SSLContext trust;
        private boolean verify = true;
        private String user;
        private String password;
        private boolean insecureAuth;
        private final List<Cidr> networks = new ArrayList<>(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")));
        private final Set<String> domains = new LinkedHashSet<>();
        private Duration connectTimeout = Duration.ofSeconds(30);
        private final Map<Wait, Duration> timeouts = new EnumMap<>(Wait.class);

        private Builder() {}

        /** The next hop for every recipient without a route. */
        public Builder upstream(NextHop hop) {
            this.upstream = hop;
            return this;
        }

        /** Sends recipients at {@code domain} to {@code hop} instead (Postfix's transport map). */
        public Builder route(String domain, NextHop hop) {
            if (domain == null || domain.isBlank() || domain.contains("@")) {
                throw new IllegalArgumentException("'" + domain + "' is not a domain");
            }
            routes.put(domain.strip().toLowerCase(Locale.ROOT), Objects.requireNonNull(hop, "hop"));
            return this;
        }

        /** The EHLO name; default {@code localhost}. */
        public Builder heloName(String name) {
            ClientConfig.builder().heloName(name); // the same check as the client's
            this.heloName = name;
            return this;
        }

        /** STARTTLS: off, opportunistic (default) or required (RFC 3207; RFC 8689's REQUIRETLS idea, per hop). */
        public Builder tls(ClientConfig.Tls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** The trust store for {@code tls=required}; default the JDK's. */
        public Builder trust(SSLContext context) {
            this.trust = Objects.requireNonNull(context, "context");
            return this;
        }

        /** Whether {@code tls=required} checks the certificate and host name; default true. */
        public Builder verify(boolean verify) {
            this.verify = verify;
            return this;
        }

        /** AUTH PLAIN or LOGIN to the next hop with these credentials (RFC 4954). */
        public Builder credentials(String user, String password) {
            ClientConfig.builder().credentials(user, password); // the same checks as the client's
            this.user = user;
            this.password = password;
            return this;
        }

        /** Allows sending the credentials without TLS; default false. */
        public Builder allowInsecureAuth(boolean allow) {
            this.insecureAuth = allow;
            return this;
        }

        /**
         * The clients that may relay anywhere, as CIDR networks; replaces the default
         * {@code 127.0.0.0/8, ::1/128}.
         *
         * @throws IllegalArgumentException for a network that does not parse
         */
        public Builder networks(List<String> cidrs) {
            List<Cidr> parsed = cidrs.stream().map(Cidr::parse).toList();
            networks.clear();
            networks.addAll(parsed);
            return this;
        }

        /** Domains mail is taken for from any client (the server's own domains). */
        public Builder domains(List<String> names) {
            for (String name : names) {
                if (name.isBlank() || name.contains("@")) {
                    throw new IllegalArgumentException("'" + name + "' is not a domain");
                }
                domains.add(name.strip().toLowerCase(Locale.ROOT));
            }
            return this;
        }

        /** How long to wait for the TCP connection; default 30 seconds. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout);
            return this;
        }

        /** Overrides one of RFC 5321 §4.5.3.2's timeouts. */
        public Builder timeout(Wait wait, Duration timeout) {
            timeouts.put(wait, positive(timeout));
            return this;
        }

        private static Duration positive(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("a timeout must be more than zero: " + d);
            }
            return d;
        }

        /**
         * The settings.
         *
         * @throws IllegalStateException without an upstream or any route
         */
        public RelayConfig build() {
            if (upstream == null && routes.isEmpty()) {
                throw new IllegalStateException("a relay needs an upstream or a route");
            }
            if (trust == null) {
                trust = TlsContexts.jdkDefault();
            }
            return new RelayConfig(this);
        }
    }
}
