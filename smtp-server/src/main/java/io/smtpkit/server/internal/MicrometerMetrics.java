package io.smtpkit.server.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smtpkit.server.Metered;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's meters in a Micrometer registry. Every meter is resolved here, once: an event
 * costs an array index and an increment, never a tag lookup or an allocation. The only class of
 * the server that names Micrometer, loaded only when a registry is given. Not API.
 */
public final class MicrometerMetrics implements ServerMetrics {

    private final MeterRegistry registry;
    private final Counter opened;
    /** Read by the {@code smtp.connections.active} gauge; held here so the gauge's weak reference stays alive. */
    private final AtomicInteger active = new AtomicInteger();
    private final Counter[] refused;
    private final Counter[] sessions;
    private final Counter accepted;
    private final Counter rejected;
    private final DistributionSummary acceptedBytes;
    private final DistributionSummary rejectedBytes;
    /** By the reply's first digit: [2] is 2xx … [5] is 5xx; a reply from a handler with another digit is not counted. */
    private final Counter[] replies = new Counter[6];
    private final Timer[] latency;
    private final Counter handshakesOk;
    private final Counter handshakesFailed;
    private final Counter spoolFiles;

    public MicrometerMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        opened = Counter.builder("smtp.connections.opened")
                .description("Connections accepted (not those refused at accept)").register(registry);
        Gauge.builder("smtp.connections.active", active, AtomicInteger::get)
                .description("Connections open now").register(registry);
        refused = new Counter[Refusal.values().length];
        for (Refusal r : Refusal.values()) {
            refused[r.ordinal()] = Counter.builder("smtp.connections.refused").tag("reason", r.tag)
                    .description("Connections answered 421 at accept").register(registry);
        }
        sessions = new Counter[Outcome.values().length];
        for (Outcome o : Outcome.values()) {
            sessions[o.ordinal()] = Counter.builder("smtp.sessions").tag("outcome", o.tag)
                    .description("Connections closed, by how they ended").register(registry);
        }
        accepted = messages("accepted");
        rejected = messages("refused");
        acceptedBytes = bytes("accepted");
        rejectedBytes = bytes("refused");
        for (int digit = 2; digit <= 5; digit++) {
            replies[digit] = Counter.builder("smtp.replies").tag("class", digit + "xx")
                    .description("Replies sent, by class").register(registry);
        }
        latency = new Timer[Hook.values().length];
        for (Hook h : Hook.values()) {
            latency[h.ordinal()] = Timer.builder("smtp.handler.latency").tag("hook", h.tag)
                    .description("Time the handler's hook took, on the thread that ran it").register(registry);
        }
        handshakesOk = handshakes("ok");
        handshakesFailed = handshakes("failed");
        spoolFiles = Counter.builder("smtp.spool.files")
                .description("Messages spooled to a file instead of the heap").register(registry);
    }

    private Counter messages(String result) {
        return Counter.builder("smtp.messages").tag("result", result)
                .description("Messages whose content ended: accepted, or refused by the handler or the server")
                .register(registry);
    }

    private DistributionSummary bytes(String result) {
        return DistributionSummary.builder("smtp.message.bytes").tag("result", result).baseUnit("bytes")
                .description("Message content octets as received (after dot-unstuffing)").register(registry);
    }

    private Counter handshakes(String result) {
        return Counter.builder("smtp.tls.handshakes").tag("result", result)
                .description("TLS handshakes (STARTTLS and implicit TLS)").register(registry);
    }

    @Override
    public void watch(SharedLimits limits) {
        // The in-memory budget starts full before any connection: what is missing from it is in use.
        long total = limits.spoolMemory.get();
        Gauge.builder("smtp.spool.bytes", limits, l -> total - l.spoolMemory.get()).baseUnit("bytes")
                .description("Heap octets held by messages being received or handled in memory").register(registry);
    }

    @Override
    public void offerRegistry(Object component) {
        if (component instanceof Metered metered) {
            metered.bindMeters(registry);
        }
    }

    @Override
    public void opened() {
        opened.increment();
        active.incrementAndGet();
    }

    @Override
    public void refused(Refusal reason) {
        refused[reason.ordinal()].increment();
    }

    @Override
    public void closed(Outcome outcome) {
        active.decrementAndGet();
        sessions[outcome.ordinal()].increment();
    }

    @Override
    public int replied(byte[] reply) {
        int code = ServerMetrics.code(reply);
        int digit = code / 100;
        if (digit >= 2 && digit <= 5) {
            replies[digit].increment();
        }
        return code;
    }

    @Override
    public void message(boolean ok, long octets) {
        if (ok) {
            accepted.increment();
            acceptedBytes.record(octets);
        } else {
            rejected.increment();
            rejectedBytes.record(octets);
        }
    }

    @Override
    public void handled(Hook hook, long nanos) {
        latency[hook.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handshake(boolean ok) {
        (ok ? handshakesOk : handshakesFailed).increment();
    }

    @Override
    public void spooledToFile() {
        spoolFiles.increment();
    }
}
