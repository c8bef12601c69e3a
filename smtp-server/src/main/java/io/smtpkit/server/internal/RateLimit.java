package io.smtpkit.server.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Events per client per minute, over a sliding minute (the count of the previous minute weighs
 * in by the part of it that still lies inside the last 60 seconds), as Postfix's anvil counts
 * connection rates. Guarded by its owner, {@link SharedLimits}. Memory is bounded: clients silent for two minutes are
 * forgotten, and past {@link #MAX_CLIENTS} clients at once new ones are not counted (the limit
 * fails open rather than refusing everyone). Not API.
 */
final class RateLimit {

    static final int MAX_CLIENTS = 100_000;
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    private final int perMinute;
    private final Map<Object, Window> windows = new HashMap<>();
    private long nextPrune;

    /** @param perMinute the most events per client per minute; 0 for no limit */
    RateLimit(int perMinute) {
        this.perMinute = perMinute;
    }

    /** Counts one event of {@code client} at {@code now} (nanos) unless that would pass the limit; false then. */
    boolean tryAcquire(Object client, long now) {
        if (perMinute <= 0) {
            return true;
        }
        if (now - nextPrune >= 0) {
            prune(now);
            nextPrune = now + MINUTE;
        }
        Window w = windows.get(client);
        if (w == null) {
            if (windows.size() >= MAX_CLIENTS) {
                return true;
            }
            w = new Window(now);
            windows.put(client, w);
        }
        w.roll(now);
        double inside = 1.0 - (double) (now - w.start) / MINUTE;
        if (w.previous * inside + w.count >= perMinute) {
            return false;
        }
        w.count++;
        return true;
    }

    int trackedClients() {
        return windows.size();
    }

    private void prune(long now) {
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            if (now - it.next().start >= 2 * MINUTE) {
                it.remove();
            }
        }
    }

    private static final class Window {
        long start;
        int count;
        int previous;

        Window(long now) {
            this.start = now;
        }

        void roll(long now) {
            long elapsed = now - start;
            if (elapsed >= 2 * MINUTE) {
                start = now;
                previous = 0;
                count = 0;
            } else if (elapsed >= MINUTE) {
                start += MINUTE;
                previous = count;
                count = 0;
            }
        }
    }
}
