package io.smtpkit.server.internal;

/**
 * Octets of heap that all connections of a server may hold together for one purpose (envelopes,
 * held input and unsent output), so that clients run into a clear SMTP answer long before the
 * heap runs out. Guarded by its owner, {@link SharedLimits}. Not API.
 */
final class Budget {

    private long left;
    private final boolean unlimited;

    /** @param octets the whole budget; 0 for no limit */
    Budget(long octets) {
        this.left = octets;
        this.unlimited = octets == 0;
    }

    /** Takes {@code octets} if that many are left; false (taking nothing) if not. */
    boolean tryTake(long octets) {
        if (unlimited) {
            return true;
        }
        if (octets > left) {
            return false;
        }
        left -= octets;
        return true;
    }

    void give(long octets) {
        if (!unlimited) {
            left += octets;
        }
    }

    long left() {
        return unlimited ? Long.MAX_VALUE : left;
    }
}
