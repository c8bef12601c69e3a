package io.smtpkit.server.internal;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.SessionConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.PriorityQueue;
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
 * It runs the {@link Acceptor}, the {@link Connection}s' reads and writes, their timers, the idle
 * sweep and the tasks worker threads post (hook answers); it is the {@link Loop} its connections
 * see. It never runs handler code and never blocks on anything but the selector. Not API.
 */
public final class Transport implements Loop {

    static final Logger log = LoggerFactory.getLogger("io.smtpkit.server");

    /** One socket read; also the most plaintext fed to sessions at once. */
    private static final int READ_BUFFER = 64 * 1024;
    /** The transport whose hook the current (worker) thread is running, if any. */
    static final ThreadLocal<Loop> HOOK_OWNER = new ThreadLocal<>();

    private final ServerSettings settings;
    private final SessionConfig config;
    private final Hooks hooks;
    private final ExecutorService executor;
    private final boolean ownsExecutor;
    /** Checks AUTH credentials apart from the hook executor; null without an authenticator. */
    private final AuthGuard auth;
    private final long idleNanos;
    private final String[] tlsProtocols;

    private final Selector selector;
    private final Acceptor acceptor;
    private final SharedLimits limits;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** The loop's timers, earliest first; ties in the order scheduled. */
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long timerSeq;
    private final Set<Connection> connections = new HashSet<>();
    private final AtomicLong ids = new AtomicLong();
    /** Tells this run's trace ids apart from other runs': the start second, base 36. */
    private final String runTag = Long.toString(System.currentTimeMillis() / 1000, 36);
    private final CountDownLatch drained = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicInteger closeCalls = new AtomicInteger();

    // Owned by the loop thread.
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER);
    private final Bytes staging = new Bytes(8 * 1024);
    private final Bytes wireStaging = new Bytes(8 * 1024);
    private final TlsBuffers tlsBuffers = new TlsBuffers();
    private long now = System.nanoTime();
    private boolean shuttingDown;
    private volatile boolean running;
    private final HeapReserve reserve = new HeapReserve();
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
        this.limits = new SharedLimits(settings);
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
        this.acceptor = new Acceptor(selector, limits);
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
                acceptor.bind(address, false);
            }
            for (InetSocketAddress address : settings.tlsAddresses) {
                acceptor.bind(address, true);
            }
        } catch (IOException e) {
            acceptor.close();
            selector.close();
            if (ownsExecutor) {
                executor.shutdownNow();
            }
            throw e;
        }
        running = true;
        thread = new Thread(this::run, "smtpkit-loop");
        thread.start();
        log.info("listening on {}", acceptor.addresses());
    }

    /** The bound addresses, plain listeners first. */
    public List<InetSocketAddress> addresses() {
        return acceptor.addresses();
    }

    /** The number of open client connections. */
    public int connectionCount() {
        return limits.open();
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

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    @Override
    public void schedule(long delayNanos, Runnable task) {
        timers.add(new Timer(now + delayNanos, timerSeq++, task));
    }

    private record Timer(long at, long seq, Runnable task) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            long d = at - o.at;
            return d != 0 ? Long.signum(d) : Long.compare(seq, o.seq);
        }
    }

    // ------------------------------------------------------------------------------------------
    // The loop

    private void run() {
        long sweepEvery = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(1), idleNanos / 4));
        long nextSweep = System.nanoTime() + sweepEvery;
        Throwable fatal = null;
        try {
            while (running) {
                Timer next = timers.peek();
                long wake = next != null && next.at - nextSweep < 0 ? next.at : nextSweep;
                long wait = Math.max(1, TimeUnit.NANOSECONDS.toMillis(wake - System.nanoTime()));
                try {
                    selector.select(this::ready, wait);
                } catch (IOException e) {
                    log.warn("selector failed: {}", Printable.of(e));
                }
                now = System.nanoTime();
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    runTask(task);
                }
                now = System.nanoTime();
                while ((next = timers.peek()) != null && now - next.at >= 0) {
                    runTask(timers.poll().task);
                }
                if (now - nextSweep >= 0) {
                    sweep();
                    nextSweep = now + sweepEvery;
                }
            }
        } catch (Throwable e) {
            fatal = e;
            reserve.release();
        } finally {
            for (Connection c : new ArrayList<>(connections)) {
                try {
                    c.closeNow("server stopped");
                } catch (Throwable ignored) {
                    // the socket must still be closed below, whatever the connection's state
                }
            }
            acceptor.close();
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

    private void runTask(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            reserve.survive(e);
            HeapReserve.safeLog("event loop task failed", e);
            staging.clear();
            wireStaging.clear();
        }
    }

    private void ready(SelectionKey key) {
        now = System.nanoTime();
        Object attachment = key.attachment();
        if (attachment instanceof Acceptor.Listener listener) {
            acceptor.accept(listener, this);
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
        reserve.survive(e);
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
        reserve.restore(); // throws OutOfMemoryError out of the loop if the heap has not recovered: see run()
        acceptor.resumePaused();
        for (Connection c : new ArrayList<>(connections)) {
            try {
                c.sweep(now);
            } catch (RuntimeException | Error e) {
                internalError(c, e);
            }
        }
    }

    /** Serves a socket the {@link Acceptor} admitted for {@code client} (already counted in the limits). */
    void adopt(SocketChannel channel, InetSocketAddress remote, Object client, boolean tls) throws IOException {
        String id = Long.toString(ids.incrementAndGet(), 36);
        Connection c;
        try {
            c = new Connection(this, channel, id, remote, (InetSocketAddress) channel.getLocalAddress(), tls, client);
            c.key = channel.register(selector, 0, c);
        } catch (ClosedChannelException e) {
            limits.release(client);
            Acceptor.closeQuietly(channel);
            return;
        } catch (IOException | RuntimeException e) {
            limits.release(client);
            throw e;
        }
        connections.add(c);
        log.debug("[{}] connect from {} to {}{}", id, Acceptor.describe(remote), Acceptor.describe(c.localAddress()),
                tls ? " (TLS)" : "");
        try {
            c.open();
        } catch (RuntimeException | Error e) {
            // Thrown out of accept() it would end the event loop and with it the server.
            internalError(c, e);
        }
    }

    @Override
    public void removed(Connection c) {
        if (connections.remove(c)) {
            limits.release(c.clientKey);
        }
        if (shuttingDown && connections.isEmpty()) {
            drained.countDown();
        }
    }

    private void beginShutdown() {
        shuttingDown = true;
        acceptor.close();
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

    @Override
    public SSLEngine newEngine(InetSocketAddress remote) {
        SSLEngine engine = settings.sslContext.createSSLEngine(remote.getHostString(), remote.getPort());
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(tlsProtocols);
        tlsBuffers.fit(engine.getSession());
        return engine;
    }

    @Override public long now() { return now; }
    @Override public boolean shuttingDown() { return shuttingDown; }
    @Override public ExecutorService executor() { return executor; }
    @Override public ServerSettings settings() { return settings; }
    @Override public SessionConfig config() { return config; }
    @Override public Hooks hooks() { return hooks; }
    @Override public AuthGuard auth() { return auth; }
    @Override public SharedLimits limits() { return limits; }
    @Override public long idleNanos() { return idleNanos; }
    @Override public ByteBuffer readBuffer() { return readBuffer; }
    @Override public Bytes staging() { return staging; }
    @Override public Bytes wireStaging() { return wireStaging; }
    @Override public TlsBuffers tlsBuffers() { return tlsBuffers; }

    @Override
    public String traceId(String connectionId, int message) {
        return runTag + "." + connectionId + "." + message;
    }
}
