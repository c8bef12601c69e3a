package io.smtpkit.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.internal.MicrometerMetrics;
import io.smtpkit.server.internal.ServerSettings;
import io.smtpkit.server.internal.EventLoops;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * An SMTP server: what {@code smtpd.SMTPServer} and aiosmtpd's {@code Controller} are in Python.
 *
 * <pre>{@code
 * try (SmtpServer server = SmtpServer.builder()
 *         .listen(new InetSocketAddress("127.0.0.1", 0))
 *         .handler((session, envelope, message) -> null)
 *         .build()
 *         .start()) {
 *     int port = server.port();
 *     ...
 * }
 * }</pre>
 *
 * <p>Sockets are served by non-blocking {@linkplain Builder#loops(int) event loops}; handler hooks run on the
 * {@linkplain Builder#executor(ExecutorService) executor}. {@link #close()} is graceful.
 */
public final class SmtpServer implements AutoCloseable {

    /** The address used when none is given: {@code 127.0.0.1:8025}, smtpd's customary port. */
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("127.0.0.1", 8025);

    private final EventLoops transport;
    private boolean started;

    private SmtpServer(EventLoops transport) {
        this.transport = transport;
    }

    /** A builder with the defaults given on each method. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds every address and starts serving.
     *
     * @return this server
     * @throws IOException if an address cannot be bound (in use, not local, no permission); the
     *     message names the address
     * @throws IllegalStateException if the server was started or closed before
     */
    public synchronized SmtpServer start() throws IOException {
        if (started) {
            throw new IllegalStateException("server already started");
        }
        started = true;
        transport.start();
        return this;
    }

    /**
     * The addresses actually bound, plain ones first, then implicit-TLS ones, then those {@linkplain
     * Builder#listen(InetSocketAddress, ProxyProtocol) behind a load balancer}; real ports even when 0 was asked.
     */
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> bound = transport.addresses();
        if (bound.isEmpty()) {
            throw new IllegalStateException("server not started");
        }
        return bound;
    }

    /** The port of the first address. */
    public int port() {
        return addresses().get(0).getPort();
    }

    /** The number of client connections open right now. */
    public int connectionCount() {
        return transport.connectionCount();
    }

    /**
     * Stops accepting, answers idle sessions {@code 421 4.3.2}, lets messages in flight finish
     * within the {@linkplain Builder#shutdownTimeout(Duration) shutdown timeout}, then closes
     * everything. Safe to call more than once. Called by a handler from inside one of its hooks,
     * it starts the same close on another thread and returns at once (waiting would wait for that
     * very hook); the hook's reply is sent before the session is told {@code 421}.
     */
    @Override
    public void close() {
        transport.close();
    }

    /** Settings of a server. Each setter returns the builder. */
    public static final class Builder {
        private final ServerSettings.Draft s = new ServerSettings.Draft();

        private Builder() {}

        /** Adds a plain SMTP listener (STARTTLS offered when TLS is set). Port 0 picks a free port. Default {@link #DEFAULT_ADDRESS}. */
        public Builder listen(InetSocketAddress address) {
            s.addresses.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /** Adds an implicit-TLS listener (RFC 8314, port 465 style); needs {@link #tls(SSLContext)}. */
        public Builder listenTls(InetSocketAddress address) {
            s.tlsAddresses.add(Objects.requireNonNull(address, "address"));
            return this;
        }

        /**
         * Adds a plain SMTP listener behind a TCP load balancer: each connection must begin with
         * a PROXY protocol header (v1 or v2) from one of {@code proxy}'s trusted networks, and is
         * then served as if the original client had connected; see {@link ProxyProtocol}. The other
         * listeners never read a header. Bound after the listeners without one.
         */
        public Builder listen(InetSocketAddress address, ProxyProtocol proxy) {
            s.proxiedListeners.add(new ServerSettings.ProxiedListener(Objects.requireNonNull(address, "address"), false,
                    Objects.requireNonNull(proxy, "proxy")));
            return this;
        }

        /**
         * Adds an implicit-TLS listener behind a TCP load balancer: the PROXY protocol header
         * comes first, then the TLS handshake; needs {@link #tls(SSLContext)}. See
         * {@link #listen(InetSocketAddress, ProxyProtocol)}.
         */
        public Builder listenTls(InetSocketAddress address, ProxyProtocol proxy) {
            s.proxiedListeners.add(new ServerSettings.ProxiedListener(Objects.requireNonNull(address, "address"), true,
                    Objects.requireNonNull(proxy, "proxy")));
            return this;
        }

        /** The protocol settings; the server turns on STARTTLS and AUTH itself when TLS and an authenticator are set. */
        public Builder config(SessionConfig config) {
            s.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** What to do with mail. Required. */
        public Builder handler(SmtpHandler handler) {
            s.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** TLS for STARTTLS and implicit-TLS listeners; TLS 1.2 and later only. See {@link PemTls} to load PEM files. */
        public Builder tls(SSLContext context) {
            s.sslContext = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * Checks AUTH credentials; AUTH is offered only under TLS unless the config allows plaintext
         * auth. The checks run on {@linkplain #authenticatorThreads(int) threads of their own},
         * within the limits on AUTH per client address set below. A client address is an IPv4
         * address or an IPv6 /64.
         */
        public Builder authenticator(Authenticator authenticator) {
            s.authenticator = Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        /**
         * How long the answer to a failed AUTH ({@code 535}) is held back, as Dovecot's
         * {@code auth_failure_delay}: meanwhile the connection reads nothing more, and its place
         * among the {@linkplain #maxConcurrentAuthPerClient(int) AUTH in progress} from its address
         * stays taken, even if the client hangs up. So a password guesser gets one guess per delay
         * per place. No thread waits out the delay (a timer does), and a successful AUTH is
         * answered at once. Default 2 seconds; zero for none.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder authFailureDelay(Duration delay) {
            if (Objects.requireNonNull(delay, "delay").isNegative()) {
                throw new IllegalArgumentException("authFailureDelay must not be negative: " + delay);
            }
            s.authFailureDelay = delay;
            return this;
        }

        /**
         * The most AUTH exchanges from one client address whose password check is waiting,
         * running, or in its {@linkplain #authFailureDelay(Duration) failure delay} at once; one
         * more is answered {@code 454 4.7.0} without a check. Default 3; 0 for no limit.
         */
        public Builder maxConcurrentAuthPerClient(int exchanges) {
            s.maxConcurrentAuthPerClient = requireNotNegative(exchanges, "maxConcurrentAuthPerClient");
            return this;
        }

        /**
         * The most failed AUTH from one client address in a minute, counted from its first
         * failure. Past them, every AUTH from that address is answered {@code 421 4.7.0} and its
         * connection closed, without a password check, until that minute is over (right
         * passwords included: checking them is what a guesser wants). Mail without AUTH from the
         * address is still taken when the config allows it. Default 30; 0 for no limit.
         */
        public Builder maxAuthFailuresPerClient(int failures) {
            s.maxAuthFailuresPerClient = requireNotNegative(failures, "maxAuthFailuresPerClient");
            return this;
        }

        /**
         * The threads that check AUTH credentials, apart from the {@linkplain
         * #executor(ExecutorService) hook executor}, so that password checks cannot hold up mail.
         * Up to 8 checks per thread wait in a queue; an AUTH that finds it full is answered
         * {@code 454 4.7.0}, and that is not counted as a failure. Default half the processors,
         * at least 1: a good password hash is slow on purpose and should leave CPU for the rest.
         * An authenticator that mostly waits (a directory over the network) wants more.
         *
         * @throws IllegalArgumentException if less than 1
         */
        public Builder authenticatorThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("authenticatorThreads must be at least 1: " + threads);
            }
            s.authenticatorThreads = threads;
            return this;
        }

        /**
         * Runs handler hooks. Default: a bounded pool owned and shut down by the server. On Java
         * 21+ {@code Executors.newVirtualThreadPerTaskExecutor()} suits blocking handlers; a
         * given executor is not shut down by the server.
         */
        public Builder executor(ExecutorService executor) {
            s.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * How many event loops serve the connections: each is a thread with its own selector that
         * reads, parses and writes for the connections handed to it at accept (each new one to the
         * least busy loop), so one loop uses at most one core for protocol work; more loops let a
         * busy server use more cores. A connection stays on its loop for its whole life. Every limit (connections, per
         * client, rates, memory budgets, AUTH) is counted across all loops together. Handler
         * hooks do not run on the loops (see {@link #executor(ExecutorService)}) unless the handler
         * is {@link SmtpHandler.NonBlocking}. Default: the number of available processors.
         *
         * @throws IllegalArgumentException if {@code loops} is less than 1
         */
        public Builder loops(int loops) {
            if (loops < 1) {
                throw new IllegalArgumentException("loops must be at least 1: " + loops);
            }
            s.loops = loops;
            return this;
        }

        /** The most simultaneous connections; more are answered {@code 421 4.7.0} and closed. Default 1000; 0 for no limit. */
        public Builder maxConnections(int connections) {
            s.maxConnections = requireNotNegative(connections, "maxConnections");
            return this;
        }

        /**
         * The most simultaneous connections from one client: an IPv4 address, or an IPv6 /64
         * (one host is often given a whole /64). More are answered {@code 421 4.7.0} and closed,
         * so that one client cannot take every place of {@link #maxConnections(int)}. Default 50,
         * Postfix's {@code smtpd_client_connection_count_limit}; 0 for no limit. Behind NAT all
         * clients share one address: raise it, or turn it off; behind a TCP load balancer, have it
         * name each client ({@link #listen(InetSocketAddress, ProxyProtocol)}), which is then counted instead.
         */
        public Builder maxConnectionsPerClient(int connections) {
            s.maxConnectionsPerClient = requireNotNegative(connections, "maxConnectionsPerClient");
            return this;
        }

        /**
         * The most new connections one client (as in {@link #maxConnectionsPerClient(int)}) may
         * open in any 60 seconds; more are answered {@code 421 4.7.0} and closed. Default 600
         * (ten a second on average); 0 for no limit. Load tests that open a connection per
         * message need more.
         */
        public Builder maxConnectionRatePerClient(int perMinute) {
            s.maxConnectionRatePerClient = requireNotNegative(perMinute, "maxConnectionRatePerClient");
            return this;
        }

        /**
         * How long a client may stay silent before {@code 421 4.4.2} and close. Default 5 minutes,
         * the server timeout of RFC 5321 §4.5.3.2.7.
         */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be positive: " + timeout);
            }
            s.idleTimeout = timeout;
            return this;
        }

        /** Messages larger than this many octets are spooled to a temporary file. Default 1 MiB. */
        public Builder spoolThreshold(long octets) {
            if (octets < 0) {
                throw new IllegalArgumentException("spoolThreshold must not be negative: " + octets);
            }
            s.spoolThreshold = octets;
            return this;
        }

        /**
         * The most heap octets that the envelopes of all connections (reverse paths, recipients
         * and their parameters) may take together. When it is used up, further MAIL and RCPT
         * commands are answered {@code 452 4.3.1} (the client sends what it has and retries
         * the rest later) until transactions end. One client (as counted for
         * {@link #maxConnectionsPerClient(int)}) may hold a quarter of it at most, so that many
         * connections of one client cannot leave the others without room. Default: an eighth of
         * the heap; 0 for no limit.
         */
        public Builder envelopeMemory(long octets) {
            s.envelopeMemory = requireNotNegative(octets, "envelopeMemory");
            return this;
        }

        /**
         * The most heap octets that all connections together may hold in input kept back (the
         * client pipelines while a hook runs) and output the client has not read yet. A
         * connection that needs more when it is used up is answered {@code 421 4.3.2} and
         * closed. Default: an eighth of the heap; 0 for no limit.
         */
        public Builder bufferMemory(long octets) {
            s.bufferMemory = requireNotNegative(octets, "bufferMemory");
            return this;
        }

        /** Where spool files go. Default: the JVM's temporary directory. */
        public Builder spoolDirectory(Path directory) {
            s.spoolDirectory = Objects.requireNonNull(directory, "directory");
            return this;
        }

        /** Whether to prepend a {@code Received:} trace header (RFC 5321 §4.4). Default true. */
        public Builder receivedHeader(boolean on) {
            s.receivedHeader = on;
            return this;
        }

        /** How long {@link SmtpServer#close()} waits for messages in flight. Default 30 seconds. */
        public Builder shutdownTimeout(Duration timeout) {
            s.shutdownTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * What to do when an event loop meets an error it cannot survive (the heap stays
         * exhausted after the connection that ran out of memory was closed, or a bug in the
         * loop itself). A server with one dead loop is not half served: every loop stops. By
         * then the loop has logged the error at ERROR level and every loop has closed its
         * sockets, the listeners included; the action runs once. Default: exit the JVM with
         * status 1 so that a supervisor restarts the server; an application that embeds the server and can
         * recover otherwise may pass its own action (it runs on the dying loop thread).
         */
        public Builder onFatalError(Consumer<? super Throwable> action) {
            s.onFatalError = Objects.requireNonNull(action, "action");
            return this;
        }

        /**
         * Listens to, and may shape, every connection at the SMTP level: transcripts, metrics,
         * injected faults (see {@link ConnectionTap}). Default: none.
         */
        public Builder tap(ConnectionTap tap) {
            s.tap = Objects.requireNonNull(tap, "tap");
            return this;
        }

        /**
         * Records what the server does in {@code registry} (Micrometer): connections opened,
         * active and refused, sessions by outcome, messages and their octets accepted and refused,
         * replies by class, handler latency per hook, TLS handshakes, spool use. The meters and
         * their tags are listed in the README ("Metrics"); tags never carry addresses or
         * recipients. A handler or tap that implements {@link Metered} registers its own meters
         * here too. Default: none, and then Micrometer ({@code io.micrometer:micrometer-core}, an
         * optional dependency) need not be on the class path: nothing of it is loaded.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            s.metrics = new MicrometerMetrics(registry);
            return this;
        }

        /**
         * The server, not yet started.
         *
         * @throws IllegalStateException if no handler was set, or a TLS listener has no TLS context
         */
        public SmtpServer build() {
            if (s.handler == null) {
                throw new IllegalStateException("a handler is required");
            }
            if ((!s.tlsAddresses.isEmpty() || s.proxiedListeners.stream().anyMatch(ServerSettings.ProxiedListener::tls))
                    && s.sslContext == null) {
                throw new IllegalStateException("an implicit-TLS listener needs tls(SSLContext)");
            }
            if (s.metrics != null) {
                s.metrics.offerRegistry(s.handler);
                if (s.tap != null && s.tap != s.handler) {
                    s.metrics.offerRegistry(s.tap);
                }
            }
            try {
                return new SmtpServer(new EventLoops(new ServerSettings(s, DEFAULT_ADDRESS)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open a selector: " + e.getMessage(), e);
            }
        }

        private static int requireNotNegative(int value, String name) {
            return (int) requireNotNegative((long) value, name);
        }

        private static long requireNotNegative(long value, String name) {
            if (value < 0) {
                throw new IllegalArgumentException(name + " must not be negative: " + value);
            }
            return value;
        }
    }
}
