package io.smtpkit.server.internal;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.Authenticator;
import io.smtpkit.server.ConnectionTap;
import io.smtpkit.server.ProxyProtocol;
import io.smtpkit.server.SmtpHandler;
import io.smtpkit.server.SmtpServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * What the transport needs from {@link SmtpServer.Builder}, frozen at build time. Every value is
 * copied by name from a {@link Draft}: with some twenty settings, several of them of the same type,
 * a positional list would let two of them trade places unnoticed. Not API.
 */
public final class ServerSettings {

    /**
     * The settings while {@link SmtpServer.Builder} collects them, with their defaults (each is
     * documented on the builder's method of the same name). Not API.
     */
    public static final class Draft {
        public final List<InetSocketAddress> addresses = new ArrayList<>();
        public final List<InetSocketAddress> tlsAddresses = new ArrayList<>();
        /** Listeners that read a PROXY protocol header first, bound after the others in the order given. */
        public final List<ProxiedListener> proxiedListeners = new ArrayList<>();
        public SessionConfig config = SessionConfig.builder().build();
        public SmtpHandler handler;
        public SSLContext sslContext;
        public Authenticator authenticator;
        public Duration authFailureDelay = Duration.ofSeconds(2);
        public int maxConcurrentAuthPerClient = 3;
        public int maxAuthFailuresPerClient = 30;
        public int authenticatorThreads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        /** The executor for hooks, or {@code null} to let the transport make (and own) one. */
        public ExecutorService executor;
        public int maxConnections = 1000;
        public int maxConnectionsPerClient = 50;
        public int maxConnectionRatePerClient = 600;
        public Duration idleTimeout = Duration.ofMinutes(5);
        public long spoolThreshold = 1 << 20;
        /** Octets all envelopes may hold together, 0 for no limit. */
        public long envelopeMemory = Runtime.getRuntime().maxMemory() / 8;
        /** Octets all held input and unsent output may take together, 0 for no limit. */
        public long bufferMemory = Runtime.getRuntime().maxMemory() / 8;
        /** Where spool files go, or {@code null} for the JVM's temporary directory. */
        public Path spoolDirectory;
        public boolean receivedHeader = true;
        public Duration shutdownTimeout = Duration.ofSeconds(30);
        public Consumer<? super Throwable> onFatalError = Transport::exitProcess;
        public ConnectionTap tap;
        /** Null unless a meter registry was given. */
        public ServerMetrics metrics;
        /** Event loops, each a thread with its own selector. */
        public int loops = Runtime.getRuntime().availableProcessors();
    }

    /** A listener whose connections begin with a PROXY protocol header (plain or implicit TLS after it). Not API. */
    public record ProxiedListener(InetSocketAddress address, boolean tls, ProxyProtocol proxy) {}

    final List<InetSocketAddress> addresses;
    final List<InetSocketAddress> tlsAddresses;
    final List<ProxiedListener> proxiedListeners;
    final SessionConfig config;
    final SmtpHandler handler;
    final SSLContext sslContext;
    final Authenticator authenticator;
    final ExecutorService executor;
    final int maxConnections;
    final int maxConnectionsPerClient;
    final int maxConnectionRatePerClient;
    final Duration idleTimeout;
    final long spoolThreshold;
    final long envelopeMemory;
    final long bufferMemory;
    final Path spoolDirectory;
    final boolean receivedHeader;
    final Duration shutdownTimeout;
    final Consumer<? super Throwable> onFatalError;
    /** {@code null} when no tap was registered. */
    final ConnectionTap tap;
    /** {@code null} when no meter registry was given: every call site checks. */
    final ServerMetrics metrics;
    final int loops;
    /** How AUTH is rationed; used only with an authenticator. */
    final AuthLimits authLimits;

    /** @param fallback where to listen when the draft names no address at all */
    public ServerSettings(Draft d, InetSocketAddress fallback) {
        addresses = d.addresses.isEmpty() && d.tlsAddresses.isEmpty() && d.proxiedListeners.isEmpty()
                ? List.of(fallback) : List.copyOf(d.addresses);
        tlsAddresses = List.copyOf(d.tlsAddresses);
        proxiedListeners = List.copyOf(d.proxiedListeners);
        config = d.config;
        handler = d.handler;
        sslContext = d.sslContext;
        authenticator = d.authenticator;
        executor = d.executor;
        maxConnections = d.maxConnections;
        maxConnectionsPerClient = d.maxConnectionsPerClient;
        maxConnectionRatePerClient = d.maxConnectionRatePerClient;
        idleTimeout = d.idleTimeout;
        spoolThreshold = d.spoolThreshold;
        envelopeMemory = d.envelopeMemory;
        bufferMemory = d.bufferMemory;
        spoolDirectory = d.spoolDirectory;
        receivedHeader = d.receivedHeader;
        shutdownTimeout = d.shutdownTimeout;
        onFatalError = d.onFatalError;
        tap = d.tap;
        metrics = d.metrics;
        loops = d.loops;
        authLimits = new AuthLimits(d.authFailureDelay, d.maxConcurrentAuthPerClient, d.maxAuthFailuresPerClient,
                d.authenticatorThreads);
    }
}
