package io.smtpkit.server.internal;

import io.smtpkit.protocol.Reply;
import io.smtpkit.server.ProxyProtocol;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The listening sockets: binds them, accepts within a cap per wake-up, refuses what the
 * {@link SharedLimits} refuse with a {@code 421} in place of the greeting, and pauses a listener
 * that fails (out of file descriptors) until the next sweep. Admitted sockets go to the
 * least loaded {@link Transport}, which serves them. Runs on the first loop's thread after
 * binding: one loop accepts for all, since an accept is cheap next to the sessions it starts, and
 * one selector watching each listener wakes one thread per connection instead of every loop. Not API.
 */
final class Acceptor {

    /** Connections accepted per wake-up, so a connect flood cannot starve the clients already in. */
    private static final int ACCEPTS_PER_WAKEUP = 256;
    private static final byte[] TOO_MANY_CONNECTIONS = Reply.TOO_MANY_CONNECTIONS.encode(true);
    static final byte[] TOO_MANY_FROM_CLIENT =
            Reply.of(421, "4.7.0", "Error: too many connections from your address, try again later").encode(true);
    private static final byte[] SHUTTING_DOWN = Reply.SHUTTING_DOWN.encode(true);

    private final Selector selector;
    private final SharedLimits limits;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<InetSocketAddress> bound = new ArrayList<>();
    private final List<SelectionKey> paused = new ArrayList<>();

    /**
     * A listening socket, whether its clients speak TLS from the first octet (RFC 8314), and
     * whether a PROXY protocol header comes before everything ({@code proxy} null if not).
     */
    record Listener(ServerSocketChannel channel, boolean tls, ProxyProtocol proxy) {}

    Acceptor(Selector selector, SharedLimits limits) {
        this.selector = selector;
        this.limits = limits;
    }

    void bind(InetSocketAddress address, boolean tls) throws IOException {
        bind(address, tls, null);
    }

    void bind(InetSocketAddress address, boolean tls, ProxyProtocol proxy) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, 1024);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT, new Listener(channel, tls, proxy));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen on " + describe(address) + (tls ? " (TLS)" : "")
                    + (proxy != null ? " (PROXY protocol)" : "") + ": " + e.getMessage(), e);
        }
        listeners.add(channel);
        bound.add((InetSocketAddress) channel.getLocalAddress());
    }

    static String describe(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** The bound addresses, in the order bound. */
    List<InetSocketAddress> addresses() {
        return List.copyOf(bound);
    }

    /** Accepts what is waiting on {@code listener}, each admitted one handed to {@code loop}. */
    void accept(Listener listener, Transport loop) {
        for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
            SocketChannel channel;
            try {
                channel = listener.channel.accept();
            } catch (IOException e) {
                // Typically EMFILE, out of file descriptors. The listener stays readable, so
                // stop watching it until the next sweep instead of spinning on it.
                Transport.log.warn("accept failed, pausing this listener: {}", e.toString());
                SelectionKey key = listener.channel.keyFor(selector);
                if (key != null && key.isValid()) {
                    key.interestOps(0);
                    paused.add(key);
                }
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                admit(channel, listener, loop);
            } catch (IOException e) {
                Transport.log.debug("connection dropped while accepting: {}", Printable.of(e));
                closeQuietly(channel);
            }
        }
    }

    private void admit(SocketChannel channel, Listener listener, Transport loop) throws IOException {
        boolean tls = listener.tls;
        InetSocketAddress remote = (InetSocketAddress) channel.getRemoteAddress();
        if (listener.proxy != null && !listener.proxy.trusts(remote.getAddress())) {
            Transport.log.warn("PROXY protocol listener {}: closed a connection from {}, not a trusted balancer",
                    describe((InetSocketAddress) channel.getLocalAddress()), describe(remote));
            channel.close();
            return;
        }
        // Behind a balancer the client is known only once its header has arrived
        // (ProxyIntake): until then the connection counts against the global limit alone.
        Object client = listener.proxy != null ? SharedLimits.UNIDENTIFIED : ClientKeys.of(remote.getAddress());
        String refusal = loop.shuttingDown() ? "shutting down" : limits.admit(client, loop.now());
        channel.configureBlocking(false);
        if (refusal != null) {
            Transport.log.debug("refusing {}: {}", describe(remote), refusal);
            ServerMetrics metrics = loop.settings().metrics;
            if (metrics != null) {
                metrics.refused(loop.shuttingDown() ? ServerMetrics.Refusal.SHUTDOWN
                        : refusal.equals(SharedLimits.GLOBAL_LIMIT) ? ServerMetrics.Refusal.LIMIT
                        : refusal.equals(SharedLimits.RATE_LIMIT) ? ServerMetrics.Refusal.RATE : ServerMetrics.Refusal.PER_CLIENT);
            }
            if (!tls) {
                // RFC 5321 §3.1 allows a 421 instead of the greeting. Best effort: a fresh
                // socket's send buffer is empty, so the reply fits.
                channel.write(ByteBuffer.wrap(loop.shuttingDown() ? SHUTTING_DOWN
                        : refusal.equals(SharedLimits.GLOBAL_LIMIT) ? TOO_MANY_CONNECTIONS : TOO_MANY_FROM_CLIENT));
            }
            channel.close();
            return;
        }
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
            limits.release(client);
            throw e;
        }
        loop.handOff(channel, remote, client, tls, listener.proxy);
    }

    /** Best effort, as for any refusal: {@code 421} instead of the greeting (not on TLS), then close. */
    static void refuseShuttingDown(SocketChannel channel, boolean tls) {
        try {
            if (!tls) {
                channel.write(ByteBuffer.wrap(SHUTTING_DOWN));
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        closeQuietly(channel);
    }

    /** Watches the listeners paused by a failed accept again. */
    void resumePaused() {
        for (SelectionKey key : paused) {
            if (key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
        paused.clear();
    }

    void close() {
        for (ServerSocketChannel channel : listeners) {
            closeQuietly(channel);
        }
    }

    static void closeQuietly(Closeable channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
