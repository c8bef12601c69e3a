package io.smtpkit.server.internal;

import io.smtpkit.protocol.CommandExtension;
import io.smtpkit.protocol.SessionConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A server's event loops ({@link Transport}s, one thread each) and what they share: the frozen
 * settings and session config, the {@link SharedLimits}, the {@link AuthGuard}, the hook executor
 * and the handler's hooks. The first loop accepts for all and hands each connection to the least
 * loaded loop, where it stays. Owns the life cycle: start, graceful close of every loop, and the
 * fatal path (one loop dies, all stop). Not API.
 */
public final class EventLoops {

    private static final org.slf4j.Logger log = Transport.log;

    final ServerSettings settings;
    final SessionConfig config;
    final Hooks hooks;
    final ExecutorService executor;
    private final boolean ownsExecutor;
    /** Checks AUTH credentials apart from the hook executor; null without an authenticator. */
    final AuthGuard auth;
    final SharedLimits limits;
    final String[] tlsProtocols;
    /** Tells this run's trace ids apart from other runs': the start second, base 36. */
    final String runTag = Long.toString(System.currentTimeMillis() / 1000, 36);
    private final AtomicLong ids = new AtomicLong();
    private final Transport[] loops;
    /** Where the search for the least loaded loop starts, so ties go round. Accepting loop only. */
    private int nextLoop;
    private final AtomicInteger closeCalls = new AtomicInteger();
    private final AtomicBoolean fatal = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private boolean started;

    public EventLoops(ServerSettings settings) throws IOException {
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
        this.limits = new SharedLimits(settings);
        if (settings.metrics != null) {
            settings.metrics.watch(limits);
        }
        if (settings.sslContext != null) {
            // TLS 1.2 and later only (RFC 8996 deprecates 1.0 and 1.1).
            List<String> supported = Arrays.asList(settings.sslContext.getSupportedSSLParameters().getProtocols());
            this.tlsProtocols = List.of("TLSv1.3", "TLSv1.2").stream().filter(supported::contains).toArray(String[]::new);
        } else {
            this.tlsProtocols = new String[0];
        }
        this.loops = new Transport[settings.loops];
        try {
            for (int i = 0; i < loops.length; i++) {
                loops[i] = new Transport(this, i);
            }
        } catch (IOException e) {
            for (Transport loop : loops) {
                if (loop != null) {
                    loop.closeUnstarted();
                }
            }
            throw e;
        }
        if (settings.executor != null) {
            this.executor = settings.executor;
            this.ownsExecutor = false;
        } else {
            int threads = Math.max(8, 4 * Runtime.getRuntime().availableProcessors());
            ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), Transport.daemonThreads("smtpkit-worker-"));
            pool.allowCoreThreadTimeOut(true);
            // The queue needs no bound of its own: a connection has at most one hook pending
            // (plus its onClose), so maxConnections bounds it.
            this.executor = pool;
            this.ownsExecutor = true;
        }
        this.auth = settings.authenticator == null ? null : new AuthGuard(settings.authenticator, settings.authLimits);
    }

    // ------------------------------------------------------------------------------------------
    // Life cycle (called from the owner's thread)

    /** Binds every address on the first loop, then starts every loop's thread. */
    public synchronized void start() throws IOException {
        if (closeCalls.get() > 0) {
            throw new IllegalStateException("server closed");
        }
        Acceptor acceptor = loops[0].acceptor;
        try {
            for (InetSocketAddress address : settings.addresses) {
                acceptor.bind(address, false);
            }
            for (InetSocketAddress address : settings.tlsAddresses) {
                acceptor.bind(address, true);
            }
            for (ServerSettings.ProxiedListener listener : settings.proxiedListeners) {
                acceptor.bind(listener.address(), listener.tls(), listener.proxy());
            }
        } catch (IOException e) {
            for (Transport loop : loops) {
                loop.closeUnstarted();
            }
            if (ownsExecutor) {
                executor.shutdownNow();
            }
            throw e;
        }
        started = true;
        for (Transport loop : loops) {
            loop.startThread();
        }
        log.info("listening on {} ({} event loop{})", acceptor.addresses(), loops.length, loops.length == 1 ? "" : "s");
    }

    /** The bound addresses, plain listeners first. */
    public List<InetSocketAddress> addresses() {
        return loops[0].acceptor.addresses();
    }

    /** The number of open client connections, all loops together. */
    public int connectionCount() {
        return limits.open();
    }

    /** Graceful close of every loop; see {@link io.smtpkit.server.SmtpServer#close()}. */
    public void close() {
        Loop owner = Transport.HOOK_OWNER.get();
        if (owner != null && Arrays.asList(loops).contains(owner)) {
            // A handler closes its own server from a hook. Waiting here for the transactions in
            // flight would wait for this very hook: close from another thread, so the hook
            // returns, its reply goes out, and then the session is told 421 like the others.
            Thread closer = new Thread(this::close, "smtpkit-close");
            closer.start();
            return;
        }
        if (closeCalls.getAndIncrement() > 0) {
            awaitQuietly(closed, settings.shutdownTimeout.toMillis() + 10_000);
            return;
        }
        boolean wasStarted;
        synchronized (this) {
            wasStarted = started; // start() either ran before, or will refuse to
        }
        if (!wasStarted) {
            // Never started: the selectors opened at build time are all there is to close.
            for (Transport loop : loops) {
                loop.closeUnstarted();
            }
            shutdownExecutor();
            closed.countDown();
            return;
        }
        Thread current = Thread.currentThread();
        for (Transport loop : loops) {
            loop.execute(loop::beginShutdown);
        }
        // One timeout for the whole server: the loops drain side by side.
        long deadline = System.nanoTime() + settings.shutdownTimeout.toNanos();
        for (Transport loop : loops) {
            if (current != loop.thread()) {
                awaitQuietly(loop.drained, Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        }
        for (Transport loop : loops) {
            loop.execute(loop::stopLoop);
        }
        for (Transport loop : loops) {
            if (current != loop.thread()) {
                try {
                    loop.thread().join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        shutdownExecutor();
        closed.countDown();
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

    // ------------------------------------------------------------------------------------------
    // Called by the loops

    /**
     * On the accepting loop: the loop with the fewest connections, ties taken in turn. Least
     * loaded rather than round robin, so that long idle sessions piling up on one loop do not
     * keep getting it new ones.
     */
    Transport leastLoaded() {
        int n = loops.length;
        Transport best = loops[nextLoop];
        int bestLoad = best.load.get();
        for (int i = 1; i < n && bestLoad > 0; i++) {
            Transport candidate = loops[(nextLoop + i) % n];
            int load = candidate.load.get();
            if (load < bestLoad) {
                best = candidate;
                bestLoad = load;
            }
        }
        nextLoop = (nextLoop + 1) % n;
        return best;
    }

    /** A connection id unique across loops: its accept number, base 36. */
    String nextConnectionId() {
        return Long.toString(ids.incrementAndGet(), 36);
    }

    /** On a dying loop, before it closes its own sockets: the others stop too (a half-served server is worse than none). */
    void stopOthers(Transport dying) {
        for (Transport loop : loops) {
            if (loop != dying) {
                loop.execute(loop::stopLoop);
            }
        }
    }

    /**
     * On a dead loop, after it logged why: once the other loops have closed their sockets, the
     * fatal-error action runs, once for the server however many loops die.
     */
    void fatal(Transport dead, Throwable cause) {
        if (!fatal.compareAndSet(false, true)) {
            return;
        }
        for (Transport loop : loops) {
            if (loop != dead) {
                awaitQuietly(loop.stopped, 10_000);
            }
        }
        settings.onFatalError.accept(cause);
    }
}
