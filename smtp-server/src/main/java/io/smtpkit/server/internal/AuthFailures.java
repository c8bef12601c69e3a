package io.smtpkit.server.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Failed AUTH per client, counted in a window that opens with the client's first failure and
 * lasts a fixed time (a minute in the server). A client that has used up its failures in its
 * window is {@linkplain #blocked blocked} until the window closes. Not thread-safe: the event
 * loop alone uses it.
 *
 * <p>Memory: one entry per client that failed within the last window, and never more than
 * {@code maxClients}. Entries are kept in the order their windows opened, so the expired ones
 * are always at the head and each use drops them there (amortized constant time, no sweep). When
 * every entry is live and a new client fails, the oldest window is forgotten: whoever fails from
 * that many addresses within one window is past what a per-address count can stop anyway, and
 * forgetting is what keeps the map bounded.
 */
final class AuthFailures {

    private final int limit;
    private final long windowNanos;
    private final int maxClients;
    private final LinkedHashMap<Object, Window> windows = new LinkedHashMap<>();

    /**
     * @param limit the failures a client may have in one window
     * @param windowNanos the window's length
     * @param maxClients the most clients remembered at once
     */
    AuthFailures(int limit, long windowNanos, int maxClients) {
        this.limit = limit;
        this.windowNanos = windowNanos;
        this.maxClients = maxClients;
    }

    /** True if {@code client} has had {@code limit} failures in its current window. */
    boolean blocked(Object client, long now) {
        prune(now);
        Window window = windows.get(client);
        return window != null && window.failures >= limit;
    }

    /** Counts a failure of {@code client}; returns its failures in the current window, this one included. */
    int record(Object client, long now) {
        prune(now);
        Window window = windows.get(client);
        if (window == null) {
            if (windows.size() >= maxClients) {
                Iterator<Window> oldest = windows.values().iterator();
                oldest.next();
                oldest.remove();
            }
            window = new Window(now);
            windows.put(client, window);
        }
        return ++window.failures;
    }

    /** The clients remembered now. */
    int size() {
        return windows.size();
    }

    /** Drops the expired windows, which are all at the head (windows open in time order). */
    private void prune(long now) {
        Iterator<Window> it = windows.values().iterator();
        while (it.hasNext() && now - it.next().opened >= windowNanos) {
            it.remove();
        }
    }

    private static final class Window {
        final long opened;
        int failures;

        Window(long opened) {
            this.opened = opened;
        }
    }
}
