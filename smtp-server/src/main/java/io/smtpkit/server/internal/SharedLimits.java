package io.smtpkit.server.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every event loop of one server counts together: connections (all of them and per client),
 * new connections per client per minute, and the envelope, buffer and in-memory spool budgets.
 * One instance per server, so that a limit stays exact however many loops serve its clients; the
 * methods are synchronized for that reason (they run at accept, at MAIL/RCPT and when a
 * connection's held buffers change size, never per octet). Not API.
 */
final class SharedLimits {

    /** Why {@link #admit} refused a connection over the global limit (its reply differs). */
    static final String GLOBAL_LIMIT = "too many connections";
    static final String PER_CLIENT_LIMIT = "too many connections from this client";
    static final String RATE_LIMIT = "too many new connections from this client in the last minute";

    /**
     * The client of a connection on a PROXY protocol listener until its header names the real
     * one: {@link #admit} counts it in the global limit only (the balancer's address must not use
     * up a per-client limit meant for the clients behind it), and {@link #identify} then counts the
     * real client. Never a key of the per-client counts, so {@link #release} of it only uncounts the connection.
     */
    static final Object UNIDENTIFIED = new Object() {
        @Override
        public String toString() {
            return "a client not yet identified by its PROXY header";
        }
    };

    private final int maxConnections;
    private final int maxConnectionsPerClient;
    private final long envelopeMemory;
    private final RateLimit connectionRate;
    private final Map<Object, Integer> perClient = new HashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    /** Heap octets the envelopes of all connections may still take. */
    private final Budget envelopes;
    /** Octets of {@link #envelopes} each client holds: one client may hold a quarter at most. */
    private final Map<Object, Long> envelopesByClient = new HashMap<>();
    /** Heap octets all connections' held input and unsent output may still take. */
    private final Budget buffers;
    /**
     * Heap octets in-memory messages may still take, all connections together: a quarter of the
     * heap. Past it, messages go to spool files even below the spool threshold.
     */
    final AtomicLong spoolMemory = new AtomicLong(Runtime.getRuntime().maxMemory() / 4);

    SharedLimits(ServerSettings settings) {
        this.maxConnections = settings.maxConnections;
        this.maxConnectionsPerClient = settings.maxConnectionsPerClient;
        this.envelopeMemory = settings.envelopeMemory;
        this.connectionRate = new RateLimit(settings.maxConnectionRatePerClient);
        this.envelopes = new Budget(settings.envelopeMemory);
        this.buffers = new Budget(settings.bufferMemory);
    }

    /**
     * Counts a new connection from {@code client}, or says why it is refused (and counts nothing
     * but the attempt against the rate).
     */
    synchronized String admit(Object client, long now) {
        if (maxConnections > 0 && open.get() >= maxConnections) {
            return GLOBAL_LIMIT;
        } else if (client == UNIDENTIFIED) {
            open.incrementAndGet();
            return null;
        }
        String refusal = admitClient(client, now);
        if (refusal == null) {
            open.incrementAndGet();
        }
        return refusal;
    }

    /**
     * A connection {@link #admit}ted as {@link #UNIDENTIFIED} turns out to be from {@code
     * client}: counts it against that client's limits, as {@link #admit} would have, or says why
     * it is refused (and it stays {@code UNIDENTIFIED}, for {@link #release}).
     */
    synchronized String identify(Object client, long now) {
        return admitClient(client, now);
    }

    private String admitClient(Object client, long now) {
        if (maxConnectionsPerClient > 0 && perClient.getOrDefault(client, 0) >= maxConnectionsPerClient) {
            return PER_CLIENT_LIMIT;
        } else if (!connectionRate.tryAcquire(client, now)) {
            return RATE_LIMIT;
        }
        perClient.merge(client, 1, Integer::sum);
        return null;
    }

    /** A connection {@link #admit}ted for {@code client} has closed. */
    synchronized void release(Object client) {
        perClient.computeIfPresent(client, (k, v) -> v > 1 ? v - 1 : null);
        open.decrementAndGet();
    }

    /** Open connections, all loops together; readable from any thread. */
    int open() {
        return open.get();
    }

    /**
     * Takes {@code octets} of the envelope budget for {@code client}, unless the budget is used
     * up or that client already holds a quarter of it: many connections of one client must not
     * leave the others without room for a single recipient.
     */
    synchronized boolean takeEnvelope(Object client, long octets) {
        long held = envelopesByClient.getOrDefault(client, 0L);
        if (envelopeMemory > 0 && held + octets > envelopeMemory / 4) {
            return false;
        }
        if (!envelopes.tryTake(octets)) {
            return false;
        }
        envelopesByClient.put(client, held + octets);
        return true;
    }

    synchronized void giveEnvelope(Object client, long octets) {
        envelopes.give(octets);
        envelopesByClient.computeIfPresent(client, (k, held) -> held > octets ? held - octets : null);
    }

    synchronized boolean takeBuffers(long octets) {
        return buffers.tryTake(octets);
    }

    synchronized void giveBuffers(long octets) {
        buffers.give(octets);
    }
}
