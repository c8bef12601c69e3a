package io.smtpkit.server;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Implemented, besides {@link SmtpHandler} or {@link ConnectionTap}, by a handler or tap that
 * keeps meters of its own (a queue's sizes, a next hop's latency), to have them in the server's
 * registry. The server calls {@link #bindMeters} once, from {@link SmtpServer.Builder#build()},
 * and only when it was given a {@linkplain SmtpServer.Builder#meterRegistry(MeterRegistry)
 * registry}: a handler that implements this interface still runs without Micrometer on the class
 * path, as long as it touches Micrometer only from {@code bindMeters} (and classes reached from
 * there). Without Micrometer, though, the server cannot tell by reflection which hooks such a
 * handler leaves to their defaults (listing its methods fails on {@code bindMeters}' parameter
 * type), so it calls every hook, each on the executor unless the handler is
 * {@link SmtpHandler.NonBlocking}. Where that matters, implement this on the server's
 * {@link ConnectionTap} instead, which is offered the registry too.
 *
 * <p>Keep tags low-cardinality, as the server's own meters do (no addresses, no recipients), and
 * name meters under a prefix of your own, e.g. {@code smtp.queue.size}.
 */
public interface Metered {

    /** Registers this component's meters; called once, before the server accepts anything. */
    void bindMeters(MeterRegistry registry);
}
