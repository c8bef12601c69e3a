package io.smtpkit.relay.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * How a relay queue retries: Postfix's defaults ({@code minimal_backoff_time} 300 s,
 * {@code maximal_backoff_time} 4000 s, {@code maximal_queue_lifetime} 5 d, no delay warning).
 * The wait after the n-th failed attempt is {@code retryMin × 2^(n-1)}, at most {@code retryMax}.
 *
 * @param retryMin the wait after a first deferral ({@code -o retry-min=})
 * @param retryMax the longest wait between attempts ({@code -o retry-max=})
 * @param lifetime how long a recipient is tried before it fails with a notification ({@code -o lifetime=})
 * @param delayWarning after how long a sender is told its message is still being tried, or
 *     {@code null} for never ({@code -o delay-warning=})
 * @param workers how many deliveries run at once ({@code -o queue-workers=})
 * @param lease how long a claim on a message lasts unless renewed ({@code -o queue-lease=}); a
 *     running delivery renews it every third of it, so this is how long the mail of a node that
 *     died waits before another node of a shared queue takes it
 */
public record QueueConfig(Duration retryMin, Duration retryMax, Duration lifetime, Duration delayWarning, int workers,
        Duration lease) {

    /** Postfix's defaults, with 10 delivery workers and a 2-minute lease. */
    public static final QueueConfig DEFAULT =
            new QueueConfig(Duration.ofSeconds(300), Duration.ofSeconds(4000), Duration.ofDays(5), null, 10, Duration.ofMinutes(2));

    /** Checks the values. */
    public QueueConfig {
        Objects.requireNonNull(retryMin, "retryMin");
        Objects.requireNonNull(retryMax, "retryMax");
        Objects.requireNonNull(lifetime, "lifetime");
        if (retryMin.isNegative() || retryMin.isZero() || retryMax.compareTo(retryMin) < 0) {
            throw new IllegalArgumentException("retry-min must be positive and at most retry-max");
        }
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        if (workers < 1) {
            throw new IllegalArgumentException("queue-workers must be at least 1");
        }
        Objects.requireNonNull(lease, "lease");
        if (lease.compareTo(Duration.ofSeconds(3)) < 0) {
            throw new IllegalArgumentException("queue-lease must be at least 3s");
        }
    }

    /** The wait before the next attempt after {@code attempts} attempts (1 for the first). */
    public Duration backoff(int attempts) {
        Duration d = retryMin;
        for (int i = 1; i < attempts && d.compareTo(retryMax) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(retryMax) > 0 ? retryMax : d;
    }

    /**
     * Reads {@code 30s}, {@code 500ms}, {@code 5m}, {@code 4h}, {@code 5d}, or a number of seconds.
     *
     * @throws IllegalArgumentException for anything else, zero and negative times included
     */
    public static Duration parseDuration(String text) {
        String v = text.strip().toLowerCase(java.util.Locale.ROOT);
        try {
            Duration d;
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("d")) {
                d = Duration.ofDays(Long.parseLong(v.substring(0, v.length() - 1)));
            } else {
                d = Duration.ofSeconds(Long.parseLong(v));
            }
            if (d.isZero() || d.isNegative()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a time such as 30s, 5m, 4h or 5d: '" + text + "'");
        }
    }
}
