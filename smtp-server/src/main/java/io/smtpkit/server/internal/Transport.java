package io.smtpkit.server.internal;

import io.smtpkit.protocol.SessionConfig;
import io.smtpkit.server.ProxyProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop: one thread and one {@link Selector} own the client sockets handed to it (and,
 * on the first loop, the listening ones). It runs the {@link Acceptor} (first loop only), its
 * {@link Connection}s' reads and writes, their timers, the idle sweep and the tasks worker threads
 * post (hook answers, connections handed over by the accepting loop); it is the {@link Loop} its
 * connections see. It never runs handler code and never blocks on anything but the selector.
 * What loops share (settings, limits, AUTH, executor) lives in {@link EventLoops}. Not API.
 */
public final class Transport implements Loop {

    static final Logger log = LoggerFactory.getLogger("io.smtpkit.server");

    /** One socket read; also the most plaintext fed to sessions at once. */
    private static final int READ_BUFFER = 64 * 1024;
    /** The loop whose hook the current (worker) thread is running, if any. */
    static final ThreadLocal<Loop> HOOK_OWNER = new ThreadLocal<>();

    private final EventLoops group;
    private final int index;
    private final ServerSettings settings;
    private final long idleNanos;

    private final Selector selector;
    /** The listening sockets; only on the first loop, null on the others. */
    final Acceptor acceptor;
    private final SharedLimits limits;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** The loop's timers, earliest first; ties in the order scheduled. */
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private long timerSeq;
    private final Set<Connection> connections = new HashSet<>();
    /** Sockets on PROXY protocol listeners whose header has not arrived yet; {@link #load} counts them. */
    private final Set<ProxyIntake> intakes = new HashSet<>();
    /**
     * Connections this loop serves or has been handed and not yet adopted: what the accepting
     * loop compares to pick the least loaded loop. Written by this loop and the accepting one.
     */
    final AtomicInteger load = new AtomicInteger();
    final CountDownLatch drained = new CountDownLatch(1);
    final CountDownLatch stopped = new CountDownLatch(1);

    // Owned by the loop thread.
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER);
    private final Bytes staging = new Bytes(8 * 1024);
    private final Bytes wireStaging = new Bytes(8 * 1024);
    private final TlsBuffers tlsBuffers = new TlsBuffers();
    private long now = System.nanoTime();
    private boolean shuttingDown;
    private volatile boolean running;
    /** Set once the loop has ended; a hand-over that finds it set takes its connection back. */
    private volatile boolean ended;
    private final HeapReserve reserve = new HeapReserve();
    private Thread thread;

    Transport(EventLoops group, int index) throws IOException {
        this.group = group;
        this.index = index;
        this.settings = group.settings;
        this.idleNanos = settings.idleTimeout.toNanos();
        this.limits = group.limits;
        this.selector = Selector.open();
        this.acceptor = index == 0 ? new Acceptor(selector, limits) : null;
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

    /** Starts the loop thread, {@code smtpkit-loop-N} counting from 1. */
    synchronized void startThread() {
        running = true;
        thread = new Thread(this::run, "smtpkit-loop-" + (index + 1));
        thread.start();
    }

    synchronized Thread thread() {
        return thread;
    }

    /** Closes what a loop that never started holds. */
    void closeUnstarted() {
        if (acceptor != null) {
            acceptor.close();
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        ended = true;
        drained.countDown();
        stopped.countDown();
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
            group.stopOthers(this);
        } finally {
            for (Connection c : new ArrayList<>(connections)) {
                try {
                    c.closeNow("server stopped");
                } catch (Throwable ignored) {
                    // the socket must still be closed below, whatever the connection's state
                }
            }
            abandonIntakes();
            if (acceptor != null) {
                acceptor.close();
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            ended = true;
            refuseHandovers();
            drained.countDown(); // close() must not wait for a loop that is gone
            stopped.countDown();
        }
        if (fatal != null) {
            try {
                log.error("the event loop cannot go on, the server has stopped: {}", Printable.of(fatal), Printable.exception(fatal));
            } catch (Throwable ignored) {
                // the handler below still runs
            }
            group.fatal(this, fatal);
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
        if (attachment instanceof ProxyIntake intake) {
            try {
                if (key.isValid() && key.isReadable()) {
                    intake.onReadable();
                }
            } catch (RuntimeException | Error e) {
                reserve.survive(e);
                HeapReserve.safeLog("PROXY header intake failed", e);
                intake.abandon();
            }
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
        if (acceptor != null) {
            acceptor.resumePaused();
        }
        for (Connection c : new ArrayList<>(connections)) {
            try {
                c.sweep(now);
            } catch (RuntimeException | Error e) {
                internalError(c, e);
            }
        }
    }

    /**
     * On the accepting loop: gives a socket the {@link Acceptor} admitted for {@code client}
     * (already counted in the limits) to the least loaded loop. Another loop's selector may be
     * blocked in select, and registering a channel with it from here would wait for that select
     * to end: the socket goes through that loop's task queue instead and is registered there.
     */
    void handOff(SocketChannel channel, InetSocketAddress remote, Object client, boolean tls, ProxyProtocol proxy)
            throws IOException {
        Transport target = group.leastLoaded();
        target.load.incrementAndGet();
        if (target == this) {
            adopt(channel, remote, client, tls, proxy);
            return;
        }
        Handover handover = new Handover(target, channel, remote, client, tls, proxy);
        target.execute(handover);
        // A loop that ended before it ran the task would never serve it: whoever takes the task
        // out of the queue first (that loop, or this check) is the one that deals with it.
        if (target.ended && target.tasks.remove(handover)) {
            handover.refuse();
        }
    }

    /** A socket on its way to the loop that will serve it. */
    private record Handover(Transport target, SocketChannel channel, InetSocketAddress remote, Object client, boolean tls,
            ProxyProtocol proxy) implements Runnable {
        @Override
        public void run() {
            try {
                target.adopt(channel, remote, client, tls, proxy);
            } catch (IOException e) {
                log.debug("connection dropped while accepting: {}", Printable.of(e));
                Acceptor.closeQuietly(channel);
            }
        }

        void refuse() {
            target.load.decrementAndGet();
            target.limits.release(client);
            Acceptor.closeQuietly(channel);
        }
    }

    /** After the loop ended: the sockets handed over too late are closed and uncounted. */
    private void refuseHandovers() {
        for (Runnable task; (task = tasks.poll()) != null; ) {
            if (task instanceof Handover handover) {
                handover.refuse();
            }
        }
    }

    /** Serves a socket handed to this loop; {@link #load} already counts it. */
    private void adopt(SocketChannel channel, InetSocketAddress remote, Object client, boolean tls, ProxyProtocol proxy)
            throws IOException {
        if (shuttingDown) {
            // Handed over just as this loop began to close: it is told what the acceptor would say.
            load.decrementAndGet();
            limits.release(client);
            Acceptor.refuseShuttingDown(channel, tls);
            return;
        }
        if (proxy != null) {
            ProxyIntake intake = new ProxyIntake(this, channel, remote, tls, proxy);
            try {
                intake.key = channel.register(selector, SelectionKey.OP_READ, intake);
            } catch (ClosedChannelException e) {
                load.decrementAndGet();
                limits.release(client);
                Acceptor.closeQuietly(channel);
                return;
            }
            intakes.add(intake);
            schedule(proxy.headerTimeout().toNanos(), intake::expire);
            return;
        }
        serve(channel, remote, (InetSocketAddress) channel.getLocalAddress(), client, tls, null);
    }

    /**
     * A PROXY header named the client ({@code remote}, connected to {@code local}): counts it in
     * the per-client limits, then serves it as if it had connected itself, {@code early} its first octets.
     */
    void identified(ProxyIntake intake, SocketChannel channel, InetSocketAddress remote, InetSocketAddress local,
            boolean tls, ByteBuffer early) {
        intakes.remove(intake);
        Object client = ClientKeys.of(remote.getAddress());
        String refusal = limits.identify(client, now);
        if (refusal != null) {
            log.debug("refusing {} (by PROXY header): {}", Acceptor.describe(remote), refusal);
            if (settings.metrics != null) {
                settings.metrics.refused(refusal.equals(SharedLimits.RATE_LIMIT) ? ServerMetrics.Refusal.RATE
                        : ServerMetrics.Refusal.PER_CLIENT);
            }
            load.decrementAndGet();
            limits.release(SharedLimits.UNIDENTIFIED);
            try {
                if (!tls) {
                    channel.write(ByteBuffer.wrap(Acceptor.TOO_MANY_FROM_CLIENT)); // as the acceptor would have
                }
            } catch (IOException ignored) {
                // closing anyway
            }
            Acceptor.closeQuietly(channel);
            return;
        }
        serve(channel, remote, local, client, tls, early);
    }

    /** A socket on a PROXY protocol listener closed before its header was complete: it is uncounted. */
    void intakeEnded(ProxyIntake intake) {
        if (intakes.remove(intake)) {
            load.decrementAndGet();
            limits.release(SharedLimits.UNIDENTIFIED);
        }
        if (shuttingDown && connections.isEmpty() && intakes.isEmpty()) {
            drained.countDown();
        }
    }

    private void abandonIntakes() {
        for (ProxyIntake intake : new ArrayList<>(intakes)) {
            intake.abandon();
        }
    }

    private void serve(SocketChannel channel, InetSocketAddress remote, InetSocketAddress local, Object client, boolean tls,
            ByteBuffer early) {
        String id = group.nextConnectionId();
        Connection c;
        try {
            c = new Connection(this, channel, id, remote, local, tls, client);
            c.key = channel.register(selector, 0, c);
        } catch (ClosedChannelException e) {
            load.decrementAndGet();
            limits.release(client);
            Acceptor.closeQuietly(channel);
            return;
        } catch (RuntimeException e) {
            load.decrementAndGet();
            limits.release(client);
            throw e;
        }
        connections.add(c);
        log.debug("[{}] connect from {} to {}{}", id, Acceptor.describe(remote), Acceptor.describe(c.localAddress()),
                tls ? " (TLS)" : "");
        try {
            if (early == null) {
                c.open();
            } else {
                c.open(early);
            }
        } catch (RuntimeException | Error e) {
            // Thrown out of accept() it would end the event loop and with it the server.
            internalError(c, e);
        }
    }

    @Override
    public void removed(Connection c) {
        if (connections.remove(c)) {
            load.decrementAndGet();
            limits.release(c.clientKey);
        }
        if (shuttingDown && connections.isEmpty()) {
            drained.countDown();
        }
    }

    void beginShutdown() {
        shuttingDown = true;
        if (acceptor != null) {
            acceptor.close();
        }
        abandonIntakes(); // no session yet, nothing in flight: they go at once
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

    void stopLoop() {
        if (!connections.isEmpty()) {
            log.warn("shutdown timeout: closing {} connection(s) still busy", connections.size());
        }
        running = false;
    }

    @Override
    public SSLEngine newEngine(InetSocketAddress remote) {
        SSLEngine engine = settings.sslContext.createSSLEngine(remote.getHostString(), remote.getPort());
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(group.tlsProtocols);
        tlsBuffers.fit(engine.getSession());
        return engine;
    }

    @Override public long now() { return now; }
    @Override public boolean shuttingDown() { return shuttingDown; }
    @Override public ExecutorService executor() { return group.executor; }
    @Override public ServerSettings settings() { return settings; }
    @Override public SessionConfig config() { return group.config; }
    @Override public Hooks hooks() { return group.hooks; }
    @Override public AuthGuard auth() { return group.auth; }
    @Override public SharedLimits limits() { return limits; }
    @Override public long idleNanos() { return idleNanos; }
    @Override public ByteBuffer readBuffer() { return readBuffer; }
    @Override public Bytes staging() { return staging; }
    @Override public Bytes wireStaging() { return wireStaging; }
    @Override public TlsBuffers tlsBuffers() { return tlsBuffers; }

    @Override
    public String traceId(String connectionId, int message) {
        return group.runTag + "." + connectionId + "." + message;
    }
}
