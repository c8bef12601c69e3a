package io.smtpkit.server.internal;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.Reply;
import io.smtpkit.protocol.SessionConfig;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loop: one thread and one {@link Selector} own every listening and client socket.
 * It reads, feeds {@link io.smtpkit.protocol.SmtpSession}s, writes their replies, runs the idle
 * timer sweep and executes tasks posted by worker threads (hook answers). It never runs handler
 * code and never blocks on anything but the selector. Not API.
 */
public final class Transport {

    static final Logger log = LoggerFactory.getLogger("io.smtpkit.server");

    /** One socket read; also the most plaintext fed to sessions at once. */
    private static final int READ_BUFFER = 64 * 1024;
    /** Connections accepted per wake-up, so a connect flood cannot starve the clients already in. */
    private static final int ACCEPTS_PER_WAKEUP = 256;
    private static final int RESERVE = 1 << 20;
    private static final byte[] TOO_MANY_CONNECTIONS = Reply.TOO_MANY_CONNECTIONS.encode(true);
    private static final byte[] TOO_MANY_FROM_CLIENT =
            Reply.of(421, "4.7.0", "Error: too many connections from your address, try again later").encode(true);
    /** The transport whose hook the current (worker) thread is running, if any. */
    static final ThreadLocal<Transport> HOOK_OWNER = new ThreadLocal<>();

    final ServerSettings settings;
    final SessionConfig config;
    final Hooks hooks;
    final ExecutorService executor;
    private final boolean ownsExecutor;
    /** Checks AUTH credentials apart from the hook executor; null without an authenticator. */
    final AuthGuard auth;
    final long idleNanos;
    final String[] tlsProtocols;

    private final Selector selector;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private final Set<Connection> connections = new HashSet<>();
    private final Map<Object, Integer> perClient = new HashMap<>();
    private final RateLimit connectionRate;
    private final List<SelectionKey> pausedListeners = new ArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    /** Tells this run's trace ids apart from other runs': the start second, base 36. */
    final String runTag = Long.toString(System.currentTimeMillis() / 1000, 36);
    private final CountDownLatch drained = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicInteger closeCalls = new AtomicInteger();

    /**
     * Heap octets in-memory messages may still take, all connections together: a quarter of the
     * heap. Past it, messages go to spool files even below the spool threshold.
     */
    final AtomicLong spoolMemory = new AtomicLong(Runtime.getRuntime().maxMemory() / 4);
    /** Heap octets the envelopes of all connections may still take. */
    final Budget envelopes;
    /** Octets of {@link #envelopes} each client holds: one client may hold a quarter at most. */
    private final Map<Object, Long> envelopesByClient = new HashMap<>();
    /** Heap octets all connections' held input and unsent output may still take. */
    final Budget buffers;

    // Owned by the loop thread.
    final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER);
    final Bytes staging = new Bytes(8 * 1024);
    final Bytes wireStaging = new Bytes(8 * 1024);
    final TlsBuffers tlsBuffers = new TlsBuffers();
    long now = System.nanoTime();
    boolean shuttingDown;
    private volatile boolean running;
    /**
     * Memory held back for the moment the heap runs out: freed on the first Error, so that the
     * loop can still log and close connections; taken back at the next sweep.
     */
    private byte[] reserve = new byte[RESERVE];
    private Thread thread;

    public Transport(ServerSettings settings) throws IOException {
        this.settings = settings;
        SessionConfig.Builder config = settings.config.toBuilder();
        if (settings.sslContext != null) {
            config.startTls(true);
        }
        if (settings.authenticator != null) {
            config.authentication(true);
        }
        for (CommandExtension extension : settings.config.extensions()) {
            config.extension(new ContainedExtension(extension)); // replaces it, in the same order
        }
        this.config = config.build();
        this.hooks = new Hooks(settings.handler);
        this.idleNanos = settings.idleTimeout.toNanos();
        this.connectionRate = new RateLimit(settings.maxConnectionRatePerClient);
        this.envelopes = new Budget(settings.envelopeMemory);
        this.buffers = new Budget(settings.bufferMemory);
        if (settings.sslContext != null) {
            // TLS 1.2 and later only (RFC 8996 deprecates 1.0 and 1.1).
            List<String> supported = Arrays.asList(settings.sslContext.getSupportedSSLParameters().getProtocols());
            this.tlsProtocols = List.of("TLSv1.3", "TLSv1.2").stream().filter(supported::contains).toArray(String[]::new);
        } else {
            this.tlsProtocols = new String[0];
        }
        if (settings.executor != null) {
            this.executor = settings.executor;
            this.ownsExecutor = false;
        } else {
            int threads = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
            ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), daemonThreads("smtpkit-worker-"));
            pool.allowCoreThreadTimeOut(true);
            // The queue needs no bound of its own: a connection has at most one hook pending
            // (plus its onClose), so maxConnections bounds it.
            this.executor = pool;
            this.ownsExecutor = true;
        }
        this.auth = settings.authenticator == null ? null
                : new AuthGuard(this, settings.authenticator, settings.authLimits);
        this.selector = Selector.open();
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------------------------------
    // Life cycle (called from the owner's thread)

    /** Binds every address, then starts the loop thread. */
    public synchronized void start() throws IOException {
        if (closeCalls.get() > 0) {
            throw new IllegalStateException("server closed");
        }
        try {
            for (InetSocketAddress address : settings.addresses) {
                bind(address, false);
            }
            for (InetSocketAddress address : settings.tlsAddresses) {
                bind(address, true);
            }
        } catch (IOException e) {
            closeListeners();
            selector.close();
            if (ownsExecutor) {
                executor.shutdownNow();
            }
            throw e;
        }
        running = true;
        thread = new Thread(this::run, "smtpkit-loop");
        thread.start();
        log.info("listening on {}", bound);
    }

    private void bind(InetSocketAddress address, boolean tls) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, 1024);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT, new Listener(channel, tls));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on " + describe(address) + (tls ? " (TLS)" : "") + ": " + e.getMessage(), e);
        }
        listeners.add(channel);
        bound.add((InetSocketAddress) channel.getLocalAddress());
    }

    private static String describe(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** The bound addresses, plain listeners first. */
    public List<InetSocketAddress> addresses() {
        return List.copyOf(bound);
    }

    /** The number of open client connections. */
    public int connectionCount() {
        return open.get();
    }

    /** Graceful close; see {@link io.smtpkit.server.SmtpServer#close()}. */
    public void close() {
        if (HOOK_OWNER.get() == this) {
            // A handler closes its own server from a hook. Waiting here for the transactions in
            // flight would wait for this very hook: close from another thread, so the hook
            // returns, its reply goes out, and then the session is told 421 like the others.
            Thread closer = new Thread(this::close, "smtpkit-close");
            closer.start();
            return;
        }
        if (closeCalls.getAndIncrement() > 0) {
            awaitQuietly(stopped, settings.shutdownTimeout.toMillis() + 10_000);
            return;
        }
        Thread thread;
        synchronized (this) {
            thread = this.thread; // start() either ran before, or will refuse to
        }
        if (thread == null) {
            // Never started: the selector opened at build time is all there is to close.
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            shutdownExecutor();
            stopped.countDown();
            return;
        }
        execute(this::beginShutdown);
        if (Thread.currentThread() != thread) {
            awaitQuietly(drained, settings.shutdownTimeout.toMillis());
        }
        execute(this::stopLoop);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutdownExecutor();
        log.info("server closed");
    }

    private void shutdownExecutor() {
        if (auth != null) {
            auth.shutdown();
        }
        if (!ownsExecutor) {
            return;
        }
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitQuietly(CountDownLatch latch, long millis) {
        try {
            latch.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code task} on the loop thread. */
    void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    // ------------------------------------------------------------------------------------------
    // The loop

    private void run() {
        long sweepEvery = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), idleNanos / 4));
        long nextSweep = System.nanoTime() + sweepEvery;
        Throwable fatal = null;
        try {
            while (running) {
                long wait = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextSweep - System.nanoTime()));
                try {
                    selector.select(this::ready, wait);
                } catch (IOException e) {
                    log.warn("selector failed: {}", Printable.of(e));
                }
                now = System.nanoTime();
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    try {
                        task.run();
                    } catch (RuntimeException | Error e) {
                        survive(e);
                        safeLog("event loop task failed", e);
                        staging.clear();
                        wireStaging.clear();
                    }
                }
                now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    sweep();
                    nextSweep = now + sweepEvery;
                }
            }
        } catch (Throwable e) {
            fatal = e;
            reserve = null;
        } finally {
            for (Connection c : new ArrayList<>(connections)) {
                try {
                    c.closeNow("server stopped");
                } catch (Throwable ignored) {
                    // the socket must still be closed below, whatever the connection's state
                }
            }
            closeListeners();
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            drained.countDown(); // close() must not wait for a loop that is gone
            stopped.countDown();
        }
        if (fatal != null) {
            try {
                log.error("the event loop cannot go on, the server has stopped: {}", Printable.of(fatal), Printable.exception(fatal));
            } catch (Throwable ignored) {
                // the handler below still runs
            }
            settings.onFatalError.accept(fatal);
        }
    }

    /**
     * What a server does by default when its event loop dies: ends the process with status 1,
     * so that a supervisor (systemd, Kubernetes) starts a healthy one. A process that lived on
     * would hold the port and every client's socket while serving no one. The exit runs on a
     * thread of its own, so that shutdown hooks that close the server do not wait for the dying
     * loop; if they hang, the process is halted after 10 seconds.
     */
    public static void exitProcess(Throwable cause) {
        Thread halt = new Thread(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException ignored) {
                // halt now
            }
            Runtime.getRuntime().halt(1);
        }, "smtpkit-halt");
        halt.setDaemon(true);
        halt.start();
        new Thread(() -> System.exit(1), "smtpkit-exit").start();
    }

    /**
     * After an Error met while serving one connection or task: gives back the memory reserve,
     * so that logging and closing that connection (which frees what it held) find memory. The
     * next sweep takes the reserve back; if it cannot, the heap is exhausted for good and the
     * loop stops (see {@link #sweep()}).
     */
    private void survive(Throwable e) {
        if (e instanceof VirtualMachineError) {
            reserve = null;
        }
    }

    /** Logging that cannot itself end the loop (it may need memory that is not there). */
    private static void safeLog(String what, Throwable e) {
        try {
            log.warn(what, Printable.exception(e));
        } catch (Throwable ignored) {
            // nothing more can be said
        }
    }

    private void ready(SelectionKey key) {
        now = System.nanoTime();
        Object attachment = key.attachment();
        if (attachment instanceof Listener listener) {
            accept(listener);
            return;
        }
        Connection c = (Connection) attachment;
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isWritable()) {
                c.onWritable();
            }
            if (key.isValid() && key.isReadable() && !c.isClosed()) {
                c.onReadable();
            }
        } catch (RuntimeException | Error e) {
            internalError(c, e);
        }
    }

    /**
     * A bug, or an Error such as an OutOfMemoryError, met while serving {@code c}: that
     * connection is closed, the loop and the others go on.
     */
    private void internalError(Connection c, Throwable e) {
        survive(e);
        try {
            if (e instanceof Error) {
                log.error("[{}] {} while serving this connection, closing it", c.id(), Printable.of(e));
            } else {
                log.warn("[{}] internal error, closing the connection", c.id(), Printable.exception(e));
            }
        } catch (Throwable ignored) {
            // closing matters more than saying so
        }
        staging.clear();
        wireStaging.clear();
        c.closeNow("internal error");
    }

    private void sweep() {
        if (reserve == null) {
            // Throws OutOfMemoryError out of the loop if the heap has not recovered: see run().
            reserve = new byte[RESERVE];
        }
        for (SelectionKey key : pausedListeners) {
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
        pausedListeners.clear();
        for (Connection c : new ArrayList<>(connections)) {
            try {
                c.sweep(now);
            } catch (RuntimeException | Error e) {
                internalError(c, e);
            }
        }
    }

    private void accept(Listener listener) {
        for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
            SocketChannel channel;
            try {
                channel = listener.channel.accept();
            } catch (IOException e) {
                // Typically EMFILE, out of file descriptors. The listener stays readable, so
                // stop watching it until the next sweep instead of spinning on it.
                log.warn("accept failed, pausing this listener: {}", e.toString());
                SelectionKey key = listener.channel.keyFor(selector);
                if (key != null && key.isValid()) {
                    key.interestOps(0);
                    pausedListeners.add(key);
                }
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                admit(channel, listener.tls);
            } catch (IOException e) {
                log.debug("connection dropped while accepting: {}", Printable.of(e));
                closeQuietly(channel);
            }
        }
    }

    private void admit(SocketChannel channel, boolean tls) throws IOException {
        InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
        Object client = ClientKeys.of(remote.getAddress());
        String refusal = refusal(client);
        if (refusal != null) {
            log.debug("refusing {}: {}", describe(remote), refusal);
            channel.configureBlocking(false);
            if (!tls) {
                // RFC 5321 §3.1 allows a 421 instead of the greeting. Best effort: a fresh
                // socket's send buffer is empty, so the reply fits.
                channel.write(ByteBuffer.wrap(shuttingDown ? Reply.SHUTTING_DOWN.encode(true)
                        : refusal.equals(GLOBAL_LIMIT) ? TOO_MANY_CONNECTIONS : TOO_MANY_FROM_CLIENT));
            }
            channel.close();
            return;
        }
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        String id = Long.toString(ids.incrementAndGet(), 36);
        Connection c = new Connection(this, channel, id, remote, (InetSocketAddress) channel.getLocalAddress(), tls);
        try {
            c.key = channel.register(selector, 0, c);
        } catch (ClosedChannelException e) {
            closeQuietly(channel);
            return;
        }
        connections.add(c);
        perClient.merge(client, 1, Integer::sum);
        c.clientKey = client;
        open.incrementAndGet();
        log.debug("[{}] connect from {} to {}{}", id, describe(remote), describe(c.localAddress()), tls ? " (TLS)" : "");
        try {
            c.open();
        } catch (RuntimeException | Error e) {
            // Thrown out of accept() it would end the event loop and with it the server.
            internalError(c, e);
        }
    }

    private static final String GLOBAL_LIMIT = "too many connections";

    /** Why a new connection from {@code client} is refused, or null; counts it against the rate if not. */
    private String refusal(Object client) {
        int max = settings.maxConnections;
        int maxPerClient = settings.maxConnectionsPerClient;
        if (shuttingDown) {
            return "shutting down";
        } else if (max > 0 && connections.size() >= max) {
            return GLOBAL_LIMIT;
        } else if (maxPerClient > 0 && perClient.getOrDefault(client, 0) >= maxPerClient) {
            return "too many connections from this client";
        } else if (!connectionRate.tryAcquire(client, now)) {
            return "too many new connections from this client in the last minute";
        }
        return null;
    }

    /**
     * Takes {@code octets} of the envelope budget for {@code client}, unless the budget is used
     * up or that client already holds a quarter of it: many connections of one client must not
     * leave the others without room for a single recipient.
     */
    boolean takeEnvelope(Object client, long octets) {
        long limit = settings.envelopeMemory;
        long held = envelopesByClient.getOrDefault(client, 0L);
        if (limit > 0 && held + octets > limit / 4) {
            return false;
        }
        if (!envelopes.tryTake(octets)) {
            return false;
        }
        envelopesByClient.put(client, held + octets);
        return true;
    }

    void giveEnvelope(Object client, long octets) {
        envelopes.give(octets);
        envelopesByClient.computeIfPresent(client, (k, held) -> held > octets ? held - octets : null);
    }

    /** Called by a connection once it is closed. */
    void removed(Connection c) {
        if (connections.remove(c)) {
            perClient.computeIfPresent(c.clientKey, (k, v) -> v > 1 ? v - 1 : null);
            open.decrementAndGet();
        }
        if (shuttingDown && connections.isEmpty()) {
            drained.countDown();
        }
    }

    private void beginShutdown() {
        shuttingDown = true;
        closeListeners();
        log.info("shutting down: {} connection(s) open", connections.size());
        for (Connection c : new ArrayList<>(connections)) {
            try {
                c.shutdown();
            } catch (RuntimeException e) {
                c.closeNow("internal error");
            }
        }
        if (connections.isEmpty()) {
            drained.countDown();
        }
    }

    private void stopLoop() {
        if (!connections.isEmpty()) {
            log.warn("shutdown timeout: closing {} connection(s) still busy", connections.size());
        }
        running = false;
    }

    private void closeListeners() {
        for (ServerSocketChannel channel : listeners) {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(Closeable channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    SSLEngine newEngine(InetSocketAddress remote) {
        SSLEngine engine = settings.sslContext.createSSLEngine(remote.getHostString(), remote.getPort());
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(tlsProtocols);
        tlsBuffers.fit(engine.getSession());
        return engine;
    }

    private record Listener(ServerSocketChannel channel, boolean tls) {}
}
